package io.keyturn.workflows;

import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProviderKeyResult;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Starts the provider-key rotation {@code provider-key/<model group>} on behalf of a schedule and
 * waits for it, through {@link ScheduledLaunch} as the master-key launcher does (a schedule cannot
 * start a workflow under a fixed id). While a rotation of the group runs, the launch fails with
 * {@link RotationFailures#ALREADY_RUNNING} and changes nothing. A {@code manual} rotation started
 * this way waits for {@code keyturn provide} until its key deadline, as one started by hand.
 */
@WorkflowInterface
public interface ProviderKeyLauncherWorkflow {

  @WorkflowMethod(name = "ProviderKeyLauncher")
  ProviderKeyResult launch(ProviderKeyRequest request);
}
