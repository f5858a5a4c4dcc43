package io.keyturn.workflows.operator;

import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Starts the rotation through the LiteLLM operator, {@code operator-rotation/<secret id>}, on
 * behalf of a schedule and waits for it (a schedule cannot start a workflow under a fixed id).
 * While one runs, a second is refused and this run changes nothing.
 */
@WorkflowInterface
public interface OperatorRotationLauncherWorkflow {
  /** The id every rotation of a secret through the operator runs under. */
  String WORKFLOW_PREFIX = "operator-rotation/";

  @WorkflowMethod(name = "OperatorRotationLauncher")
  OperatorRotationStatus launch(OperatorRotationRequest request);
}
