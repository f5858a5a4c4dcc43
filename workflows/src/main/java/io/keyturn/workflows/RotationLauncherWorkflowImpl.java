package io.keyturn.workflows;

import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import org.slf4j.Logger;

/** See {@link RotationLauncherWorkflow}. */
public class RotationLauncherWorkflowImpl implements RotationLauncherWorkflow {
  private static final Logger log = Workflow.getLogger(RotationLauncherWorkflowImpl.class);

  @Override
  public RotationResult launch(RotationRequest request) {
    String id = request.workflowId();
    KeyRotationWorkflow rotation =
        Workflow.newChildWorkflowStub(
            KeyRotationWorkflow.class,
            ChildWorkflowOptions.newBuilder()
                .setWorkflowId(id)
                // The rotation outlives a launcher that is terminated: it never stops half done.
                .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
                .build());
    Promise<RotationResult> result = Async.function(rotation::rotate, request);
    try {
      Workflow.getWorkflowExecution(rotation).get();
    } catch (RuntimeException e) {
      if (RotationFailures.alreadyStarted(e)) {
        throw ApplicationFailure.newNonRetryableFailure(
            "a rotation of "
                + request.secretId()
                + " is already running ("
                + id
                + "); one secret is never rotated twice at once, so this run changed nothing."
                + " Follow that one with `keyturn wait "
                + id
                + "`.",
            RotationFailures.ALREADY_RUNNING);
      }
      throw e;
    }
    return result.get();
  }

  @Override
  public void rotationPublished(String rotationWorkflowId) {
    String parent = Workflow.getInfo().getParentWorkflowId().orElse(null);
    if (parent != null && parent.startsWith(FleetRotationWorkflow.ID_PREFIX)) {
      // The fleet knows its members by this launcher's id; a fleet that has closed cannot hear
      // it, and the rotation goes on.
      String self = Workflow.getInfo().getWorkflowId();
      FleetRotationWorkflow fleet =
          Workflow.newExternalWorkflowStub(FleetRotationWorkflow.class, parent);
      Async.procedure(fleet::memberPublished, self)
          .exceptionally(
              e -> {
                log.warn(
                    "rotation {} could not tell fleet {} it published ({}); the fleet has closed,"
                        + " and the rotation goes on",
                    self,
                    parent,
                    e.getMessage());
                return null;
              });
    }
  }
}
