package io.keyturn.workflows;

import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/** The rotation: mint, verify, publish, grace, revoke; compensation when verify or publish fail. */
public class KeyRotationWorkflowImpl implements KeyRotationWorkflow {

  /** Failure type of a rotation that failed before revoke and was rolled back. */
  public static final String ROLLED_BACK = "RotationRolledBack";

  private static final String[] DO_NOT_RETRY =
      RotationFailures.NON_RETRYABLE.toArray(String[]::new);

  /**
   * How long a step that shapes the new key (mint, verify, publish...) keeps retrying before the
   * rotation rolls back. Worker configuration (KEYTURN_STEP_DEADLINE), set once at start; it only
   * shapes the activity options this worker schedules from then on, which replay does not compare.
   */
  private static volatile Duration stepDeadline = Duration.ofMinutes(15);

  /** Sets {@link #stepDeadline}; called by the worker before it polls. */
  public static void stepDeadline(Duration d) {
    stepDeadline = d;
  }

  /** Calls that shape the new key: bounded, so a proxy that stays down ends in a rollback. */
  static ActivityOptions gateway() {
    return ActivityOptions.newBuilder()
        .setStartToCloseTimeout(Duration.ofSeconds(60))
        .setScheduleToCloseTimeout(stepDeadline)
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofSeconds(1))
                .setBackoffCoefficient(2.0)
                .setMaximumInterval(Duration.ofSeconds(30))
                .setDoNotRetry(DO_NOT_RETRY)
                .build())
        .build();
  }

  /**
   * Revoking the old key and compensations: they must happen eventually, so they retry for a day
   * through outages, with a longer backoff cap.
   */
  static final ActivityOptions MUST_FINISH =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(60))
          .setScheduleToCloseTimeout(Duration.ofHours(24))
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setInitialInterval(Duration.ofSeconds(2))
                  .setBackoffCoefficient(2.0)
                  .setMaximumInterval(Duration.ofMinutes(5))
                  .setDoNotRetry(DO_NOT_RETRY)
                  .build())
          .build();

  private final LiteLlmActivities gateway =
      Workflow.newActivityStub(LiteLlmActivities.class, gateway());
  private final SecretStoreActivities store =
      Workflow.newActivityStub(SecretStoreActivities.class, gateway());
  private final LiteLlmActivities gatewayMustFinish =
      Workflow.newActivityStub(LiteLlmActivities.class, MUST_FINISH);
  private final SecretStoreActivities storeMustFinish =
      Workflow.newActivityStub(SecretStoreActivities.class, MUST_FINISH);

  private static final Logger log = Workflow.getLogger(KeyRotationWorkflowImpl.class);

  private RotationRequest request;
  private RotationPhase phase = RotationPhase.STARTING;

  private MintedKey minted;
  private final List<PublishReceipt> publishedAll = new ArrayList<>();

  private long graceEndsAtMillis = -1;
  private boolean revokeNowRequested;
  private String revokeNowReason;
  private String message = "starting";

  @Override
  public RotationResult rotate(RotationRequest req) {
    this.request = req;
    try {
      return doRotate(req);
    } catch (TemporalFailure e) {
      if (phase != RotationPhase.ROLLED_BACK) {
        message =
            RotationMessages.failed(
                request, phase, e, request.oldKey(), minted == null ? null : minted.ref());
        setPhase(RotationPhase.FAILED);
        log.error(message);
        details();
      }
      throw e;
    }
  }

  private RotationRequest resolve(RotationRequest req) {
    // Bad settings or an unreachable or unwritable store fail here, before anything is minted:
    // every destination, the Vault shorthand (--vault-name) included.
    message = "checking " + req.destinations().size() + " destination(s)";
    for (Destination d : req.destinations()) {
      store.checkDestination(d);
    }
    long generation =
        req.generation() > 0
            ? req.generation()
            : RotationRequest.generationAt(Instant.ofEpochMilli(Workflow.currentTimeMillis()));
    if (!req.chainFromStore()) {
      return req.resolved(generation, req.oldKey(), req.oldKeySealed());
    }
    Destination primary = req.destinations().get(0);
    message = "reading the current key from " + primary.describe();
    CurrentKey current = store.readCurrentKey(primary);
    if (current != null) {
      log.info(
          "rotation {} g{}: {} holds {}",
          req.secretId(),
          generation,
          current.location(),
          current.ref().fingerprint());
      return req.resolved(generation, current.ref(), current.sealed());
    }
    if (req.oldKey() == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "nothing to rotate for "
              + req.secretId()
              + ": "
              + primary.describe()
              + " holds no key and no first key was given. Publish the key applications use there,"
              + " or declare it as currentKey in keyturn.yaml and apply again.",
          RotationFailures.NOTHING_TO_ROTATE);
    }
    return req.resolved(generation, req.oldKey(), req.oldKeySealed());
  }

  private RotationResult doRotate(RotationRequest original) {
    RotationRequest req = resolve(original);
    this.request = req;
    Workflow.upsertTypedSearchAttributes(
        KeyturnSearchAttributes.SECRET_ID.valueSet(req.secretId()),
        KeyturnSearchAttributes.GATEWAY.valueSet(req.gatewayUrl()),
        KeyturnSearchAttributes.GENERATION.valueSet(req.generation()),
        KeyturnSearchAttributes.PHASE.valueSet(phase.name()));
    details();
    String who = req.secretId() + " g" + req.generation();
    log.info("rotation {} started: replacing {}", who, req.oldKey().fingerprint());

    // The old key's policy is read first: a missing old key fails here, before anything is minted.
    message = "reading the policy of " + req.oldKey().fingerprint();
    KeyPolicy imported = gateway.importPolicy(req.gatewayUrl(), req.oldKey());
    KeyPolicy policy = req.policy() != null ? req.policy() : imported;

    setPhase(RotationPhase.MINTING);
    message = "minting " + req.newKeyAlias();
    KeyDerivation derivation =
        new KeyDerivation(
            Workflow.getInfo().getWorkflowId(),
            req.newKeyAlias(),
            Workflow.getInfo().getFirstExecutionRunId());
    MintRequest mint =
        new MintRequest(
            req.gatewayUrl(),
            req.newKeyAlias(),
            policy,
            derivation,
            req.secretId(),
            req.generation(),
            req.oldKey());
    Compensations undo = new Compensations();
    try {
      // Registered before the call: a mint whose reply was lost may have created the key.
      undo.add(
          () ->
              RotationMessages.newKeyDiscarded(
                  gatewayMustFinish.discardDerivedKey(mint), mint.alias()),
          e -> RotationMessages.couldNotDiscard(mint.alias(), e));
      minted = gateway.mintKey(mint);
      log.info(
          "rotation {} minted {}{}",
          who,
          minted.ref().fingerprint(),
          minted.adopted() ? " (adopted)" : "");

      setPhase(RotationPhase.VERIFYING);
      message = "verifying " + minted.ref().fingerprint();
      boolean checkModels = req.verifyModels() == null || req.verifyModels();
      if (req.managementKey()) {
        // A scoped management key may not call /v1/models: prove what a rotation calls instead.
        gateway.verifyManagementKey(req.gatewayUrl(), minted);
      } else {
        gateway.verifyKey(
            req.gatewayUrl(), minted, checkModels ? policy : new KeyPolicy(withoutModels(policy)));
      }

      setPhase(RotationPhase.PUBLISHING);
      for (Destination d : req.destinations()) {
        message = "publishing to " + d.describe();
        // Registered before the write: a write whose reply was lost may have landed.
        MintedKey key = minted;
        undo.add(
            () -> storeMustFinish.restoreAt(d, key),
            e -> RotationMessages.couldNotRestore(d, key.ref(), req.oldKey(), e));
        publishedAll.add(store.publishTo(d, minted));
      }
    } catch (ActivityFailure | CanceledFailure e) {
      throw rollBack(e, undo);
    }

    setPhase(RotationPhase.IN_GRACE);
    graceEndsAtMillis = Workflow.currentTimeMillis() + req.gracePeriod().toMillis();
    message =
        RotationMessages.inGrace(
            req, locationList(), Instant.ofEpochMilli(graceEndsAtMillis).toString());
    log.info("rotation {} in grace until {}", who, Instant.ofEpochMilli(graceEndsAtMillis));
    details();
    tellLauncher();
    boolean early = Workflow.await(req.gracePeriod(), () -> revokeNowRequested);
    if (early) {
      log.info("rotation {}: grace ended early by revokeNow ({})", who, revokeNowReason);
    }
    String drained = new DrainGate(gateway).await(req, () -> revokeNowRequested, this::holdRevoke);
    new ManagementKeyGate().await(req, minted, this::say);

    setPhase(RotationPhase.REVOKING);
    message = "revoking " + req.oldKey().fingerprint();
    // Two steps, so that a retried proof (a proxy cache still accepting the old key) does not
    // send the delete again and mistake its 404 for a key someone else deleted.
    boolean deletedNow = gatewayMustFinish.deleteKey(req.gatewayUrl(), req.oldKey());
    RevokeReceipt revoked =
        gatewayMustFinish.confirmRevoked(
            req.gatewayUrl(), req.oldKey(), req.oldKeySealed(), deletedNow);

    setPhase(RotationPhase.COMPLETED);
    message =
        RotationMessages.completed(minted.ref(), locationList(), revoked)
            + (drained.isEmpty() ? "" : " " + drained);
    log.info("rotation {} completed", who);
    details();
    return new RotationResult(
        req.secretId(),
        req.generation(),
        req.oldKey(),
        minted.ref(),
        minted.alias(),
        revoked,
        early,
        List.copyOf(publishedAll));
  }

  private List<String> locationList() {
    return publishedAll.stream().map(PublishReceipt::location).toList();
  }

  private static java.util.Map<String, Object> withoutModels(KeyPolicy p) {
    java.util.Map<String, Object> f = new java.util.LinkedHashMap<>(p.fields());
    f.remove("models");
    return f;
  }

  /**
   * Undoes a rotation that failed before its grace period: runs the registered undo steps (stores
   * put back, the new key deleted) and leaves the old key alone.
   */
  private ApplicationFailure rollBack(TemporalFailure cause, Compensations undo) {
    RotationPhase failedAt = phase;
    String undone = undo.unwind();
    setPhase(RotationPhase.ROLLED_BACK);
    message = RotationMessages.rolledBack(request, failedAt, cause, undone, request.oldKey());
    log.error(message);
    details();
    return ApplicationFailure.newNonRetryableFailureWithCause(message, ROLLED_BACK, cause);
  }

  /**
   * A rotation started by a launcher (for a schedule or a fleet) tells it that its new key is
   * published, so that a fleet's next wave need not wait out this grace period. Best effort: a
   * launcher that has closed cannot be told, and this rotation goes on regardless.
   */
  static void tellLauncher() {
    String parent = Workflow.getInfo().getParentWorkflowId().orElse(null);
    if (parent == null) {
      return;
    }
    String self = Workflow.getInfo().getWorkflowId();
    RotationLauncherWorkflow launcher =
        Workflow.newExternalWorkflowStub(RotationLauncherWorkflow.class, parent);
    Async.procedure(launcher::rotationPublished, self)
        .exceptionally(
            e -> {
              log.warn(
                  "rotation {} could not tell {} it published ({}); it goes on",
                  self,
                  parent,
                  e.getMessage());
              return null;
            });
  }

  /** Says what the rotation is doing now, without changing its phase. */
  private void say(String what) {
    message = what;
    details();
  }

  /** The drain gate holds the revoke: the phase says so, the message says why and until when. */
  private void holdRevoke(String why) {
    message = why;
    if (phase != RotationPhase.REVOKE_HELD) {
      setPhase(RotationPhase.REVOKE_HELD);
    } else {
      details();
    }
  }

  /** Moves to a phase: search attribute (for UI filters) and current details (for people). */
  private void setPhase(RotationPhase next) {
    phase = next;
    if (request != null && request.generation() > 0) {
      // Set from the first upsert on, once the generation is known.
      Workflow.upsertTypedSearchAttributes(KeyturnSearchAttributes.PHASE.valueSet(next.name()));
    }
    details();
  }

  /** The UI's "current details": what the rotation is doing, in words (no key values). */
  private void details() {
    if (request != null) {
      Workflow.setCurrentDetails(
          RotationMessages.details(request, phase, message, minted == null ? null : minted.ref()));
    }
  }

  @Override
  public void revokeNow(String reason) {
    revokeNowRequested = true;
    revokeNowReason = reason == null || reason.isBlank() ? "no reason given" : reason;
  }

  @Override
  public RotationStatus status() {
    RotationRequest r = request;
    return new RotationStatus(
        r == null ? null : r.secretId(),
        r == null ? 0 : r.generation(),
        phase,
        r == null || r.oldKey() == null ? null : r.oldKey().fingerprint(),
        minted == null ? null : minted.ref().fingerprint(),
        r == null ? null : r.newKeyAlias(),
        publishedAll.isEmpty()
            ? null
            : String.join(
                ", ", publishedAll.stream().map(p -> p.location() + " v" + p.version()).toList()),
        graceEndsAtMillis < 0 ? null : Instant.ofEpochMilli(graceEndsAtMillis).toString(),
        revokeNowRequested,
        message);
  }
}
