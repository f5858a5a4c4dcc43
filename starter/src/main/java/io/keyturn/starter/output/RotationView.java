package io.keyturn.starter.output;

import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import java.time.Instant;

/**
 * What the CLI knows about one rotation: Temporal's view of the execution, the workflow's own
 * status (null when the query could not be answered), and for a closed rotation its result or
 * failure. Keys appear only as fingerprints.
 *
 * @param workflowStatus Temporal's execution status: RUNNING, COMPLETED, FAILED, TERMINATED, ...
 * @param statusError why the status query failed, or null
 * @param failure for a closed rotation that did not complete, what went wrong
 */
public record RotationView(
    String workflowId,
    String runId,
    String workflowStatus,
    Instant startTime,
    Instant closeTime,
    RotationStatus status,
    String statusError,
    RotationResult result,
    String failure,
    String retrying) {

  public static final String RUNNING = "RUNNING";
  public static final String COMPLETED = "COMPLETED";

  public boolean running() {
    return RUNNING.equals(workflowStatus);
  }

  public boolean completed() {
    return COMPLETED.equals(workflowStatus);
  }
}
