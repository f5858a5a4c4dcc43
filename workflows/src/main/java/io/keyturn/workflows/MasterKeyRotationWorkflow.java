package io.keyturn.workflows;

import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.MasterKeyResult;
import io.keyturn.workflows.model.MasterKeyStatus;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * One rotation of a LiteLLM proxy's master key, as workflow {@code master-key/<id>} on the same
 * task queue as key rotations: preflight, generate (in the worker), re-encrypt the proxy's stored
 * values (only without a salt key), publish to every destination, restart the proxy, verify; if
 * verify fails, re-encrypt back, republish the old key, restart again.
 */
@WorkflowInterface
public interface MasterKeyRotationWorkflow {
  /** The workflow type, as Temporal's visibility lists it. */
  String WORKFLOW_TYPE = "MasterKeyRotation";

  @WorkflowMethod(name = WORKFLOW_TYPE)
  MasterKeyResult rotate(MasterKeyRequest request);

  /** The operator restarted every proxy replica ({@code keyturn confirm-restart}). */
  @SignalMethod
  void confirmRestart(String by);

  @QueryMethod
  MasterKeyStatus status();
}
