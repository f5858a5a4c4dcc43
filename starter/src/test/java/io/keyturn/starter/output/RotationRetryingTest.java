package io.keyturn.starter.output;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Timestamp;
import io.temporal.api.common.v1.ActivityType;
import io.temporal.api.failure.v1.Failure;
import io.temporal.api.workflow.v1.PendingActivityInfo;
import io.temporal.api.workflowservice.v1.DescribeWorkflowExecutionResponse;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.common.converter.DefaultDataConverter;
import org.junit.jupiter.api.Test;

/** A rotation stuck retrying a step says which step, which attempt, why, and when it tries next. */
class RotationRetryingTest {

  private static WorkflowExecutionDescription with(PendingActivityInfo... pending) {
    DescribeWorkflowExecutionResponse.Builder r = DescribeWorkflowExecutionResponse.newBuilder();
    for (PendingActivityInfo p : pending) {
      r.addPendingActivities(p);
    }
    return new WorkflowExecutionDescription(r.build(), DefaultDataConverter.STANDARD_INSTANCE);
  }

  @Test
  void aStepBeingRetriedIsNamedWithItsAttemptLastFailureAndNextTry() {
    String why =
        RotationWatcher.retrying(
            with(
                PendingActivityInfo.newBuilder()
                    .setActivityType(ActivityType.newBuilder().setName("ImportPolicy"))
                    .setAttempt(7)
                    .setLastFailure(
                        Failure.newBuilder()
                            .setMessage(
                                "reading the policy of sk-...Ab12 at LiteLLM http://gw answered"
                                    + " 503 (server error; retrying)"))
                    .setNextAttemptScheduleTime(Timestamp.newBuilder().setSeconds(1_800_000_000))
                    .build()));
    assertThat(why)
        .startsWith("ImportPolicy attempt 7 failed: reading the policy of sk-...Ab12")
        .contains("503")
        .endsWith("next try at 2027-01-15T08:00:00Z");
  }

  @Test
  void aFirstAttemptStillRunningIsNotCalledRetrying() {
    assertThat(
            RotationWatcher.retrying(
                with(
                    PendingActivityInfo.newBuilder()
                        .setActivityType(ActivityType.newBuilder().setName("PublishTo"))
                        .setAttempt(1)
                        .build())))
        .isNull();
    assertThat(RotationWatcher.retrying(with())).isNull();
  }
}
