package io.keyturn.workflows;

import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.RotationCheck;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** See {@link RotationCheckWorkflow}. */
public class RotationCheckWorkflowImpl implements RotationCheckWorkflow {
  /** One try each: the answer is for a person waiting at a prompt, who may try again. */
  static final ActivityOptions ONCE =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(20))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
          .build();

  private final SecretStoreActivities store =
      Workflow.newActivityStub(SecretStoreActivities.class, ONCE);

  @Override
  public RotationCheck check(RotationRequest request) {
    List<String> problems = new ArrayList<>();
    for (Destination d : request.destinations()) {
      try {
        store.checkDestination(d);
      } catch (ActivityFailure e) {
        // The store's message names the destination.
        problems.add(RotationMessages.rootMessage(e));
      }
    }
    if (!request.chainFromStore() || !problems.isEmpty()) {
      return new RotationCheck(problems, null, null);
    }
    Destination primary = request.destinations().get(0);
    try {
      CurrentKey held = store.readCurrentKey(primary);
      return held == null
          ? new RotationCheck(problems, null, null)
          : new RotationCheck(problems, held.ref(), held.location());
    } catch (ActivityFailure e) {
      problems.add(
          primary.describe() + ": cannot read its current key: " + RotationMessages.rootMessage(e));
      return new RotationCheck(problems, null, null);
    }
  }
}
