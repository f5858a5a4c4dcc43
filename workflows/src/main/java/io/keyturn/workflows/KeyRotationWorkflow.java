package io.keyturn.workflows;

import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One rotation of one LiteLLM virtual key: mint, verify, publish, grace, revoke. The old key is
 * never revoked before the new key is verified and published; if verify or publish fails for good,
 * the new key is deleted and the old key is left working.
 */
@WorkflowInterface
public interface KeyRotationWorkflow {

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
}
