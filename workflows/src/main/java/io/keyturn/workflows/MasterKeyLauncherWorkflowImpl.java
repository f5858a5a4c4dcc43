package io.keyturn.workflows;

import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.MasterKeyResult;

/** See {@link MasterKeyLauncherWorkflow}. */
public class MasterKeyLauncherWorkflowImpl implements MasterKeyLauncherWorkflow {

  @Override
  public MasterKeyResult launch(MasterKeyRequest request) {
    return ScheduledLaunch.startAndWait(
        MasterKeyRotationWorkflow.class,
        request.workflowId(),
        "a master-key rotation of '" + request.id() + "'",
        "keyturn master-status " + request.id(),
        wf -> wf.rotate(request));
  }
}
