package io.keyturn.workflows;

import io.temporal.failure.ActivityFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Workflow;
import java.util.function.Function;
import org.slf4j.Logger;

/**
 * A short step run first as a local activity, then, if that fails for a reason a retry could fix,
 * as a normal activity. Why and with which options: {@link KeyRotationWorkflowImpl#LOCAL_FIRST}.
 */
final class LocalFirst {
  private static final Logger log = Workflow.getLogger(LocalFirst.class);

  private LocalFirst() {}

  /**
   * Runs {@code step} on the {@code local} stub; when that fails retryably ({@link
   * RotationFailures#retryable}), runs it on the {@code normal} stub, which retries until its
   * deadline and can be cancelled. A cancellation already requested ends the step before it starts,
   * since a local activity would not notice it (sdk-java#1303). The step must be idempotent: it may
   * run more than once.
   */
  static <S, T> T run(S local, S normal, Function<S, T> step) {
    return run(local, normal, step, () -> {});
  }

  /**
   * As {@link #run(Object, Object, Function)}, calling {@code beforeFallback} (in the workflow,
   * from recorded results only) before the normal activity is scheduled: a step that falls back may
   * retry for as long as the step's deadline, so the workflow is resting there and should say so
   * where filters look (its search attributes).
   */
  static <S, T> T run(S local, S normal, Function<S, T> step, Runnable beforeFallback) {
    CancellationScope scope = CancellationScope.current();
    if (scope.isCancelRequested()) {
      throw new CanceledFailure(scope.getCancellationReason());
    }
    try {
      return step.apply(local);
    } catch (ActivityFailure e) {
      if (!RotationFailures.retryable(e)) {
        throw e;
      }
      log.info(
          "{} failed as a local activity ({}); retrying it as an activity",
          e.getActivityType(),
          e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
      beforeFallback.run();
      return step.apply(normal);
    }
  }
}
