package io.keyturn.workflows.operator;

import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.RotationMessages;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.PublishReceipt;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/**
 * See {@link OperatorRotationWorkflow}. Nothing is revoked before the copy's key is verified and
 * published everywhere; a failure before the first publish deletes the copy (the operator's
 * finalizer deletes its key) and leaves the old VirtualKey and its key as they were; a failure
 * after it leaves both keys working and says which destinations hold the new one.
 */
public class OperatorRotationWorkflowImpl implements OperatorRotationWorkflow {
  private static final Logger log = Workflow.getLogger(OperatorRotationWorkflowImpl.class);

  private static RetryOptions retries(Duration cap) {
    return RetryOptions.newBuilder()
        .setInitialInterval(Duration.ofSeconds(1))
        .setBackoffCoefficient(1.5)
        .setMaximumInterval(cap)
        .setDoNotRetry(RotationFailures.NON_RETRYABLE.toArray(String[]::new))
        .build();
  }

  /** Reads, writes, and waits for the operator (it re-checks a VirtualKey every 60 s). */
  static final ActivityOptions STEP =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(60))
          .setScheduleToCloseTimeout(Duration.ofMinutes(10))
          .setRetryOptions(retries(Duration.ofSeconds(10)))
          .build();

  /** Cleanup and the old VirtualKey's deletion: they must happen, so they retry for a day. */
  static final ActivityOptions MUST_FINISH =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(60))
          .setScheduleToCloseTimeout(Duration.ofHours(24))
          .setRetryOptions(retries(Duration.ofMinutes(2)))
          .build();

  private final OperatorActivities step = Workflow.newActivityStub(OperatorActivities.class, STEP);
  private final OperatorActivities mustFinish =
      Workflow.newActivityStub(OperatorActivities.class, MUST_FINISH);

  private String phase = "STARTING";
  private String message = "";
  private String copyRef = "";
  private String newKey = "";
  private final List<String> published = new ArrayList<>();

  @Override
  public OperatorRotationStatus rotate(OperatorRotationRequest req) {
    String workflowId = Workflow.getInfo().getWorkflowId();
    VirtualKeyLineage lineage = step.lineage(req.virtualKey(), req.secretId());
    phase(
        "CREATING",
        "copying VirtualKey "
            + lineage.namespace()
            + "/"
            + lineage.current()
            + " as "
            + lineage.nextName()
            + " (alias "
            + lineage.nextAlias()
            + ")");
    VirtualKeyCopy copy = step.createCopy(lineage, req.secretId(), workflowId);
    copyRef = copy.ref();
    KeyRef key;
    try {
      phase("AWAITING_OPERATOR", "waiting for the operator to mint the key of " + copy.ref());
      key = step.awaitReady(copy);
      newKey = key.fingerprint();
      phase("VERIFYING", "verifying " + key.fingerprint() + " at " + req.gatewayUrl());
      step.verifyCopy(req.gatewayUrl(), copy, key);
    } catch (RuntimeException e) {
      String cleanup = mustFinish.deleteVirtualKey(copy.namespace(), copy.name());
      phase(
          "FAILED",
          "ROTATION FAILED before anything was published: "
              + RotationMessages.rootMessage(e)
              + ". Cleanup: "
              + cleanup
              + " The old VirtualKey "
              + lineage.namespace()
              + "/"
              + lineage.current()
              + " and its key are untouched.");
      throw ApplicationFailure.newNonRetryableFailureWithCause(
          message, "OperatorRotationFailed", e);
    }
    for (Destination d : req.destinations()) {
      try {
        phase("PUBLISHING", "publishing " + key.fingerprint() + " to " + d.type());
        PublishReceipt r = step.publishCopy(d, copy, key, workflowId);
        published.add(r.location());
      } catch (RuntimeException e) {
        phase(
            "FAILED",
            "ROTATION FAILED while publishing: "
                + RotationMessages.rootMessage(e)
                + ". BOTH KEYS WORK: the old VirtualKey "
                + lineage.namespace()
                + "/"
                + lineage.current()
                + " is untouched and the new one, "
                + copy.ref()
                + " ("
                + key.fingerprint()
                + "), is published to "
                + (published.isEmpty() ? "nothing" : String.join(", ", published))
                + ". Fix the destination and rotate again (the new VirtualKey is then rotated"
                + " from), or delete "
                + copy.ref()
                + " if nothing reads it yet.");
        throw ApplicationFailure.newNonRetryableFailureWithCause(
            message, "OperatorRotationFailed", e);
      }
    }
    phase(
        "GRACE",
        key.fingerprint()
            + " is published to "
            + String.join(", ", published)
            + "; the old key keeps working for "
            + req.grace()
            + " (grace period)");
    if (!req.grace().isZero() && !req.grace().isNegative()) {
      Workflow.sleep(req.grace());
    }
    List<String> old = new ArrayList<>(lineage.older());
    old.add(lineage.current());
    for (String name : old) {
      phase("DELETING_OLD", "deleting VirtualKey " + lineage.namespace() + "/" + name);
      mustFinish.deleteVirtualKey(lineage.namespace(), name);
      mustFinish.awaitGone(
          req.gatewayUrl(),
          lineage.namespace(),
          name,
          name.equals(lineage.current()) ? lineage.currentTokenHash() : "");
    }
    phase(
        "COMPLETED",
        "rotated through the operator: "
            + copy.ref()
            + " ("
            + key.fingerprint()
            + ") is live and published to "
            + String.join(", ", published)
            + "; deleted "
            + String.join(", ", old)
            + " and their keys");
    return status();
  }

  private void phase(String phase, String message) {
    this.phase = phase;
    this.message = message;
    log.info("{}: {}", phase, message);
  }

  @Override
  public OperatorRotationStatus status() {
    return new OperatorRotationStatus(phase, message, copyRef, newKey, List.copyOf(published));
  }
}
