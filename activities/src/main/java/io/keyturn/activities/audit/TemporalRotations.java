package io.keyturn.activities.audit;

import io.keyturn.workflows.KeyturnSearchAttributes;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowStub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What Temporal says about rotations, read with the worker's client (its data converter opens the
 * encrypted results): which run now and what each owns, and what the last completed rotation of a
 * secret published.
 */
public final class TemporalRotations implements KeyAuditActivitiesImpl.Rotations {
  static final String ROTATION_TYPE = "KeyRotation";
  private static final String ID_PREFIX = RotationRequest.workflowId("");

  private final WorkflowClient client;
  private final Duration queryTimeout;

  public TemporalRotations(WorkflowClient client, Duration queryTimeout) {
    this.client = client;
    this.queryTimeout = queryTimeout;
  }

  @Override
  public List<RunningRotation> running() {
    List<RunningRotation> out = new ArrayList<>();
    List<WorkflowExecutionMetadata> runs;
    try (Stream<WorkflowExecutionMetadata> s =
        client.listExecutions("ExecutionStatus = 'Running'")) {
      runs = s.toList();
    }
    for (WorkflowExecutionMetadata m : runs) {
      String id = m.getExecution().getWorkflowId();
      if (!ROTATION_TYPE.equals(m.getWorkflowType()) && !id.startsWith(ID_PREFIX)) {
        continue;
      }
      String secret =
          m.getTypedSearchAttributes().containsKey(KeyturnSearchAttributes.SECRET_ID)
              ? m.getTypedSearchAttributes().get(KeyturnSearchAttributes.SECRET_ID)
              : id.startsWith(ID_PREFIX) ? id.substring(ID_PREFIX.length()) : null;
      RotationStatus status = status(id, m.getExecution().getRunId());
      out.add(
          status == null
              ? new RunningRotation(id, secret, 0, null)
              : new RunningRotation(id, secret, status.generation(), status.oldKey()));
    }
    return out;
  }

  /** The rotation's answer to its status query, or null when none comes in time. */
  private RotationStatus status(String workflowId, String runId) {
    WorkflowStub stub =
        client.newUntypedWorkflowStub(workflowId, Optional.of(runId), Optional.empty());
    try {
      return CompletableFuture.supplyAsync(() -> stub.query("status", RotationStatus.class))
          .get(queryTimeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      return null;
    }
  }

  @Override
  public KeyRef lastPublished(String secretId) {
    String id = RotationRequest.workflowId(secretId);
    Optional<WorkflowExecutionMetadata> last;
    try (Stream<WorkflowExecutionMetadata> s =
        client.listExecutions(
            "WorkflowId = '" + id.replace("'", "\\'") + "' AND ExecutionStatus = 'Completed'")) {
      last =
          s.limit(1000)
              .filter(m -> m.getCloseTime() != null)
              .max(Comparator.comparing(WorkflowExecutionMetadata::getCloseTime));
    }
    if (last.isEmpty()) {
      return null;
    }
    RotationResult r =
        client
            .newUntypedWorkflowStub(
                id, Optional.of(last.get().getExecution().getRunId()), Optional.empty())
            .getResult(RotationResult.class);
    return r == null ? null : r.newKey();
  }
}
