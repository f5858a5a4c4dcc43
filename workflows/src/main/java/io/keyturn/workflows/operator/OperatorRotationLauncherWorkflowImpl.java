package io.keyturn.workflows.operator;

import io.keyturn.workflows.ScheduledLaunch;

/** See {@link OperatorRotationLauncherWorkflow}. */
public class OperatorRotationLauncherWorkflowImpl implements OperatorRotationLauncherWorkflow {

  @Override
  public OperatorRotationStatus launch(OperatorRotationRequest request) {
    return ScheduledLaunch.startAndWait(
        OperatorRotationWorkflow.class,
        WORKFLOW_PREFIX + request.secretId(),
        "a rotation of '" + request.secretId() + "' through the operator",
        "temporal workflow show --workflow-id " + WORKFLOW_PREFIX + request.secretId(),
        wf -> wf.rotate(request));
  }
}
