package io.keyturn.workflows;

import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProviderKeyResult;
import java.util.List;

/**
 * See {@link ProviderKeyLauncherWorkflow}. It passes no master-key workflow ids: the worker finds
 * running master-key rotations of the proxy itself (preflight), so a scheduled run is held to the
 * same order across tiers as one started by {@code keyturn rotate-provider}.
 */
public class ProviderKeyLauncherWorkflowImpl implements ProviderKeyLauncherWorkflow {

  @Override
  public ProviderKeyResult launch(ProviderKeyRequest request) {
    return ScheduledLaunch.startAndWait(
        ProviderKeyRotationWorkflow.class,
        request.workflowId(),
        "a provider-key rotation of model group '" + request.modelGroup() + "'",
        "keyturn provider-status " + request.workflowId(),
        wf -> wf.rotate(request, List.of()));
  }
}
