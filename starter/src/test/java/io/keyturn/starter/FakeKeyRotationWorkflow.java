package io.keyturn.starter;

import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.keyturn.workflows.testing.RotationStandIn;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Instant;
import java.util.List;

/**
 * A stand-in for the real rotation, so CLI tests need no LiteLLM, Vault or activities. It keeps the
 * contract's shape: phases, a grace period raced against {@code revokeNow}, fingerprints only. A
 * secret id starting with {@value #FAILING} makes it fail the way a rolled-back rotation does.
 */
public class FakeKeyRotationWorkflow extends RotationStandIn {
  static final String FAILING = "fails-";

  private RotationRequest request;
  private RotationPhase phase = RotationPhase.STARTING;
  private KeyRef newKey;
  private String published;
  private long graceEndsAt = -1;
  private boolean revokeNowRequested;
  private String reason;
  private String message = "starting";

  @Override
  public RotationResult rotate(RotationRequest req) {
    if (req.oldKey() == null) {
      // --key-from-destination: the real workflow reads the key the primary destination holds.
      String current = "current-of-" + req.secretId();
      req =
          req.resolved(
              req.generation(), new KeyRef(KeyMaterial.tokenHash(current), "sk-...curr"), null);
    }
    request = req;
    phase = RotationPhase.MINTING;
    message = "minting " + req.newKeyAlias();
    newKey = new KeyRef(KeyMaterial.tokenHash(req.newKeyAlias()), "sk-...fake");
    if (req.secretId().startsWith(FAILING)) {
      phase = RotationPhase.ROLLED_BACK;
      message =
          "Rotation of "
              + req.secretId()
              + " g"
              + req.generation()
              + " failed while verifying: model gpt-4o refused the new key | New key "
              + newKey.fingerprint()
              + " deleted. The old key "
              + req.oldKey().fingerprint()
              + " was NOT revoked and still works.";
      throw ApplicationFailure.newNonRetryableFailure(message, "RotationRolledBack");
    }
    published = req.destinations().get(0).describe() + " v2";
    phase = RotationPhase.IN_GRACE;
    graceEndsAt = Workflow.currentTimeMillis() + req.gracePeriod().toMillis();
    message = "in grace";
    boolean early =
        !req.gracePeriod().isZero() && Workflow.await(req.gracePeriod(), () -> revokeNowRequested);
    phase = RotationPhase.COMPLETED;
    message = early ? "done; revoked early: " + reason : "done";
    return new RotationResult(
        req.secretId(),
        req.generation(),
        req.oldKey(),
        newKey,
        req.newKeyAlias(),
        new RevokeReceipt(
            req.oldKey(),
            false,
            req.oldKeySealed() == null ? "/key/info: not found" : "bearer refused (401)"),
        early,
        List.of(new PublishReceipt(req.destinations().get(0).describe(), 2, 1, true)));
  }

  @Override
  public void revokeNow(String reason) {
    revokeNowRequested = true;
    this.reason = reason;
  }

  @Override
  public RotationStatus status() {
    RotationRequest r = request;
    return new RotationStatus(
        r == null ? null : r.secretId(),
        r == null ? 0 : r.generation(),
        phase,
        r == null ? null : r.oldKey().fingerprint(),
        newKey == null ? null : newKey.fingerprint(),
        r == null ? null : r.newKeyAlias(),
        published,
        graceEndsAt < 0 ? null : Instant.ofEpochMilli(graceEndsAt).toString(),
        revokeNowRequested,
        message);
  }
}
