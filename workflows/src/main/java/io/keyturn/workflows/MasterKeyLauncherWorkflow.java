package io.keyturn.workflows;

import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.MasterKeyResult;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Starts the master-key rotation {@code master-key/<id>} on behalf of a schedule and waits for it.
 * A schedule appends its time to the id of every workflow it starts, so it cannot start {@code
 * master-key/<id>} itself (which {@code master-status} and {@code confirm-restart} address); it
 * starts this launcher, which does. While a rotation of the proxy runs, Temporal refuses a second
 * under the same id: the launcher then fails with {@link RotationFailures#ALREADY_RUNNING} and
 * changes nothing.
 */
@WorkflowInterface
public interface MasterKeyLauncherWorkflow {

  @WorkflowMethod(name = "MasterKeyLauncher")
  MasterKeyResult launch(MasterKeyRequest request);
}
