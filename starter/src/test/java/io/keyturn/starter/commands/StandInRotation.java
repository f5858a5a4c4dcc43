package io.keyturn.starter.commands;

import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stand-in for the rotation workflow, for command tests where the rotation itself is not under
 * test: it completes at once, or fails for the secrets in {@link #FAILING}. It answers no status
 * and ignores revoke-now.
 */
public class StandInRotation implements KeyRotationWorkflow {

  /** Secrets whose stand-in rotation fails; the rest complete at once. */
  static final Set<String> FAILING = ConcurrentHashMap.newKeySet();

  @Override
  public RotationResult rotate(RotationRequest r) {
    if (FAILING.contains(r.secretId())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "Rotation of " + r.secretId() + " failed while verifying", "RotationRolledBack");
    }
    return new RotationResult(r.secretId(), 1, null, null, "a", null, false, List.of());
  }

  @Override
  public void revokeNow(String reason) {}

  @Override
  public RotationStatus status() {
    return null;
  }

  @Override
  public RotationStatus rollback(String reason, String requestedBy) {
    throw new UnsupportedOperationException("a stand-in rotation cannot roll back");
  }

  @Override
  public void validateRollback(String reason, String requestedBy) {}

  @Override
  public RotationStatus changeGrace(io.keyturn.workflows.model.GraceChange change) {
    throw new UnsupportedOperationException("a stand-in rotation has no grace period to change");
  }

  @Override
  public void validateChangeGrace(io.keyturn.workflows.model.GraceChange change) {}
}
