package io.keyturn.activities.audit;

import io.keyturn.workflows.KeyturnSearchAttributes;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
  public List<RunningRotation> running(List<String> secretIds) {
    Map<String, RunningRotation> out = new LinkedHashMap<>();
    List<WorkflowExecutionMetadata> runs;
    try (Stream<WorkflowExecutionMetadata> s =
        client.listExecutions("ExecutionStatus = 'Running'")) {
      runs = s.toList();
    }
    for (WorkflowExecutionMetadata m : runs) {
      String id = m.getExecution().getWorkflowId();
      boolean hasSecret =
          m.getTypedSearchAttributes().containsKey(KeyturnSearchAttributes.SECRET_ID);
      // A rotation by its type or id; any other workflow that names a secret is counted too.
      if (!ROTATION_TYPE.equals(m.getWorkflowType()) && !id.startsWith(ID_PREFIX) && !hasSecret) {
        continue;
      }
      String secret =
          hasSecret
              ? m.getTypedSearchAttributes().get(KeyturnSearchAttributes.SECRET_ID)
              : id.startsWith(ID_PREFIX) ? id.substring(ID_PREFIX.length()) : null;
      out.put(id, rotation(id, m.getExecution().getRunId(), secret));
    }
    for (String secretId : secretIds) {
      String id = RotationRequest.workflowId(secretId);
      if (out.containsKey(id)) {
        continue;
      }
      try {
        WorkflowExecutionDescription d = client.newUntypedWorkflowStub(id).describe();
        if (d.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
          out.put(id, rotation(id, d.getExecution().getRunId(), secretId));
        }
      } catch (WorkflowNotFoundException e) {
        // Never rotated (or past retention): nothing runs.
      }
    }
    return List.copyOf(out.values());
  }

  private RunningRotation rotation(String id, String runId, String secret) {
    RotationStatus status = status(id, runId);
    return status == null
        ? new RunningRotation(id, secret, 0, null)
        : new RunningRotation(id, secret, status.generation(), status.oldKey());
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
