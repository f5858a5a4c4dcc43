package io.keyturn.workflows;

import io.keyturn.workflows.model.SecretDrift;
import io.keyturn.workflows.model.SecretTargets;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** See {@link DriftCheckWorkflow}. */
public class DriftCheckWorkflowImpl implements DriftCheckWorkflow {
  /**
   * A few tries each: a check or a sweep is read-only (a deletion re-checks first), and its answer
   * is for a person waiting or a schedule that runs again.
   */
  static final ActivityOptions AUDIT =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(2))
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setMaximumAttempts(3)
                  .setInitialInterval(Duration.ofSeconds(2))
                  .setDoNotRetry(
                      RotationFailures.WORKER_MISCONFIGURED, RotationFailures.DESTINATION_INVALID)
                  .build())
          .build();

  private final KeyAuditActivities audit =
      Workflow.newActivityStub(KeyAuditActivities.class, AUDIT);

  @Override
  public List<SecretDrift> check(List<SecretTargets> secrets) {
    List<SecretDrift> out = new ArrayList<>();
    for (SecretTargets s : secrets) {
      out.add(audit.checkDrift(s));
    }
    return out;
  }
}
