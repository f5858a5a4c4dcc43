package io.keyturn.workflows;

import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProviderKeyResult;
import io.keyturn.workflows.model.ProviderKeyStatus;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.List;

/**
 * One rotation of the upstream provider key behind a model group, as workflow {@code
 * provider-key/<model group>} on the key rotations' task queue, through dual deployments at the
 * proxy: get the new key (from the provider, or handed in sealed), verify it at the provider, add a
 * deployment carrying it, verify a request routed to it, remove the old deployment(s), grace,
 * revoke the old key (or wait for the operator's confirmation).
 */
@WorkflowInterface
public interface ProviderKeyRotationWorkflow {
  /** The workflow type, as Temporal's visibility lists it. */
  String WORKFLOW_TYPE = "ProviderKeyRotation";

  @WorkflowMethod(name = WORKFLOW_TYPE)
  ProviderKeyResult rotate(ProviderKeyRequest request, List<String> masterKeyWorkflows);

  /** {@code keyturn provide}: the new key, sealed to the worker by the CLI. */
  @SignalMethod
  void provide(SealedSecret key, String by);

  /** {@code keyturn confirm-revoked}: the operator revoked the old key at the provider. */
  @SignalMethod
  void confirmRevoked(String by);

  /** {@code keyturn rollback}: until the old deployment is removed, put things back. */
  @SignalMethod
  void rollback(String by);

  @QueryMethod
  ProviderKeyStatus status();
}
