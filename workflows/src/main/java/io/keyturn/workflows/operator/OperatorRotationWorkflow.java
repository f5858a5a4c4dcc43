package io.keyturn.workflows.operator;

import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Rotates a key the LiteLLM Kubernetes operator manages the operator's way (blue/green with
 * VirtualKey objects): Keyturn creates a copy of the VirtualKey under a versioned alias, waits
 * until the operator minted its key and wrote its Secret, verifies that key, publishes it, waits
 * out the grace period and deletes the old VirtualKey, whose finalizer deletes the old key. Keyturn
 * never mints or revokes such a key itself, so the operator never has an alias to resurrect.
 */
@WorkflowInterface
public interface OperatorRotationWorkflow {
  @WorkflowMethod(name = "OperatorRotation")
  OperatorRotationStatus rotate(OperatorRotationRequest request);

  @QueryMethod
  OperatorRotationStatus status();
}
