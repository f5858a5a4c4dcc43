package io.keyturn.workflows;

import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Functions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;

/**
 * What the launchers a schedule starts share: start the one workflow of a key under its fixed id as
 * an abandoned child (it never stops half done because its launcher was terminated), refuse cleanly
 * when one already runs, and wait for its result.
 */
public final class ScheduledLaunch {
  private ScheduledLaunch() {}

  public static <W, R> R startAndWait(
      Class<W> type, String id, String what, String follow, Functions.Func1<W, R> call) {
    W child =
        Workflow.newChildWorkflowStub(
            type,
            ChildWorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
                .build());
    Promise<R> result = Async.function(call, child);
    try {
      Workflow.getWorkflowExecution(child).get();
    } catch (RuntimeException e) {
      if (RotationFailures.alreadyStarted(e)) {
        throw ApplicationFailure.newNonRetryableFailure(
            what
                + " is already running ("
                + id
                + "); two never run at once, so this scheduled run changed nothing. Follow"
                + " that one with `"
                + follow
                + "`.",
            RotationFailures.ALREADY_RUNNING);
      }
      throw e;
    }
    return result.get();
  }
}
