package io.keyturn.workflows.testing;

import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.GraceChange;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;

/**
 * The base of every stand-in for the rotation workflow, shared by the tests of every module
 * (through the workflows test-jar): a test writes {@link #rotate} and overrides whatever else it is
 * about. By default it ignores revoke-now, answers no status, and refuses a rollback or a grace
 * change (their validators accept, so the refusal comes from the update itself).
 */
public abstract class RotationStandIn implements KeyRotationWorkflow {

  @Override
  public abstract RotationResult rotate(RotationRequest request);

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
  public RotationStatus changeGrace(GraceChange change) {
    throw new UnsupportedOperationException("a stand-in rotation has no grace period to change");
  }

  @Override
  public void validateChangeGrace(GraceChange change) {}
}
