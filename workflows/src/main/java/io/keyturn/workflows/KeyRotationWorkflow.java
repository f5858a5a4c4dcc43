package io.keyturn.workflows;

import io.keyturn.workflows.model.GraceChange;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.UpdateMethod;
import io.temporal.workflow.UpdateValidatorMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One rotation of one LiteLLM virtual key: mint, verify, publish, grace, revoke. The old key is
 * never revoked before the new key is verified and published; if verify or publish fails for good,
 * the new key is deleted and the old key is left working.
 */
@WorkflowInterface
public interface KeyRotationWorkflow {

  /** The name of the {@link #rollback} update (a wire name). */
  String ROLLBACK = "rollback";

  /** The name of the {@link #changeGrace} update (a wire name). */
  String CHANGE_GRACE = "changeGrace";

  /** The task queue workers of this workflow poll. */
  String TASK_QUEUE = "keyturn-rotations";

  @WorkflowMethod(name = "KeyRotation")
  RotationResult rotate(RotationRequest request);

  /** Ends the grace period now: revoke the old key as soon as the new one is published. */
  @SignalMethod
  void revokeNow(String reason);

  /** Phase, generation, key fingerprints and when the grace period ends. */
  @QueryMethod
  RotationStatus status();

  /**
   * Undoes a rotation in its grace period ({@code keyturn rollback}): the old key (still valid) is
   * put back in every destination and read back there, the revoke is cancelled, the new key is
   * deleted, and the rotation ends as {@code ROLLED_BACK} with the reason. Only the rotation can do
   * this, because only it holds the old key's sealed value. Returns the status at the end. A
   * rollback that cannot finish (the old key no longer works at the proxy, a destination cannot
   * take it back) puts back what it changed and fails, and the rotation goes on in its grace
   * period.
   */
  @UpdateMethod(name = ROLLBACK)
  RotationStatus rollback(String reason, String requestedBy);

  /**
   * Refuses a rollback, with nothing changed, unless the rotation is in its grace period, holds the
   * old key's sealed value, and is not revoking or rolling back already.
   */
  @UpdateValidatorMethod(updateName = ROLLBACK)
  void validateRollback(String reason, String requestedBy);

  /**
   * Moves the end of the grace period ({@code keyturn extend-grace}): later, or to a time from now.
   * The rotation's timer follows the new end. Returns the status with the new end.
   */
  @UpdateMethod(name = CHANGE_GRACE)
  RotationStatus changeGrace(GraceChange change);

  /**
   * Refuses a grace change, with nothing changed, unless the rotation is in its grace period and
   * the new end is in the future and within {@link RotationRequest#MAX_GRACE} of the publish.
   */
  @UpdateValidatorMethod(updateName = CHANGE_GRACE)
  void validateChangeGrace(GraceChange change);
}
