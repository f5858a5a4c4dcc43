package io.keyturn.workflows;

import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Starts the one rotation of a secret, {@code rotation/<secret-id>}, on behalf of a schedule or a
 * fleet, and waits for it. Temporal appends the time to every workflow a schedule starts, and a
 * fleet needs per-fleet ids to resume; neither can start {@code rotation/<secret-id>} itself, so
 * each starts this launcher, which does. Because every rotation of a secret runs under that one
 * workflow id, Temporal itself refuses a second while one runs: the launcher then fails with {@link
 * RotationFailures#ALREADY_RUNNING} and changes nothing.
 */
@WorkflowInterface
public interface RotationLauncherWorkflow {

  @WorkflowMethod(name = "RotationLauncher")
  RotationResult launch(RotationRequest request);

  /** Sent by the rotation once its new key is published; passed on to a fleet that waits. */
  @SignalMethod(name = "rotationPublished")
  void rotationPublished(String rotationWorkflowId);
}
