package io.keyturn.starter.commands;

import io.keyturn.starter.output.RotationWatcher;
import io.keyturn.workflows.KeyturnSearchAttributes;
import io.keyturn.workflows.ProviderKeyRotationWorkflow;
import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProviderKeyResult;
import io.keyturn.workflows.model.ProviderKeyStatus;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.schedules.ScheduleDescription;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What {@code keyturn list} shows of provider-key rotations: every model group with a rotation in
 * Temporal (whoever started it) or a Keyturn schedule, its newest run, that run's phase, and key
 * fingerprints (the new key of the newest run, and the key the newest completed run put in place).
 * Reads Temporal only; key values never leave the worker.
 */
final class ProviderKeyRuns {
  private ProviderKeyRuns() {}

  /**
   * One model group.
   *
   * @param state {@code running}, the newest run's status, or {@code none yet}
   * @param newKey the fingerprint of the newest run's new key, when it has one
   * @param currentKey the fingerprint the newest completed run put in place, or null
   * @param scheduleId its Keyturn schedule, or null
   */
  record Row(
      String workflowId,
      String modelGroup,
      String state,
      String runId,
      String phase,
      String waitingFor,
      String newKey,
      String currentKey,
      String scheduleId) {

    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("workflowId", workflowId);
      m.put("modelGroup", modelGroup);
      m.put("state", state);
      m.put("runId", runId);
      m.put("phase", phase);
      m.put("waitingFor", waitingFor);
      m.put("newKey", newKey);
      m.put("currentKey", currentKey);
      m.put("scheduleId", scheduleId);
      return m;
    }
  }

  static List<Row> collect(WorkflowClient client, SortedMap<String, ScheduleDescription> managed) {
    Map<String, WorkflowExecutionMetadata> newest = new TreeMap<>();
    try (Stream<WorkflowExecutionMetadata> s =
        client.listExecutions(
            "WorkflowType = '" + ProviderKeyRotationWorkflow.WORKFLOW_TYPE + "'")) {
      s.limit(10_000)
          .forEach(
              m ->
                  newest.merge(
                      m.getExecution().getWorkflowId(),
                      m,
                      (a, b) -> a.getStartTime().isAfter(b.getStartTime()) ? a : b));
    }
    Map<String, String> schedules = new TreeMap<>();
    managed.forEach(
        (secretId, d) -> {
          if (secretId.startsWith(ProviderKeyRequest.WORKFLOW_PREFIX)) {
            schedules.put(secretId, d.getId());
          }
        });
    TreeMap<String, Row> rows = new TreeMap<>();
    schedules.forEach(
        (id, scheduleId) ->
            rows.put(
                id, new Row(id, group(id), "none yet", null, null, null, null, null, scheduleId)));
    newest.forEach((id, m) -> rows.put(id, row(client, id, m, schedules.get(id))));
    return List.copyOf(rows.values());
  }

  private static String group(String workflowId) {
    return workflowId.substring(ProviderKeyRequest.WORKFLOW_PREFIX.length());
  }

  private static Row row(
      WorkflowClient client, String id, WorkflowExecutionMetadata m, String scheduleId) {
    String runId = m.getExecution().getRunId();
    boolean running = m.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    var attrs = m.getTypedSearchAttributes();
    String phase =
        attrs.containsKey(KeyturnSearchAttributes.PHASE)
            ? attrs.get(KeyturnSearchAttributes.PHASE)
            : null;
    String newKey = null;
    String waiting = null;
    if (running) {
      ProviderKeyStatus s = status(client, id, runId);
      if (s != null) {
        phase = s.phase().name();
        newKey = s.newKey();
        waiting =
            s.awaitingKey()
                ? "keyturn provide " + id + " (before " + s.keyDeadline() + ")"
                : s.awaitingRevokeConfirmation() ? "keyturn confirm-revoked " + id : null;
      }
    }
    String current = null;
    if (m.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      current = resultKey(client, id, runId);
      newKey = current;
    } else {
      current = resultKey(client, id, lastCompletedRun(client, id));
    }
    return new Row(
        id,
        group(id),
        running ? "running" : RotationWatcher.statusName(m.getStatus()),
        runId,
        phase,
        waiting,
        newKey,
        current,
        scheduleId);
  }

  private static ProviderKeyStatus status(WorkflowClient client, String id, String runId) {
    try {
      return CompletableFuture.supplyAsync(
              () ->
                  client
                      .newUntypedWorkflowStub(id, Optional.of(runId), Optional.empty())
                      .query("status", ProviderKeyStatus.class))
          .get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      return null;
    }
  }

  private static String lastCompletedRun(WorkflowClient client, String id) {
    try (Stream<WorkflowExecutionMetadata> runs =
        client.listExecutions("WorkflowId = \"" + id + "\" AND ExecutionStatus = \"Completed\"")) {
      return runs.limit(1000)
          .max(Comparator.comparing(WorkflowExecutionMetadata::getStartTime))
          .map(x -> x.getExecution().getRunId())
          .orElse(null);
    }
  }

  /** The new key's fingerprint of a completed run, or null. */
  static String resultKey(WorkflowClient client, String id, String runId) {
    if (runId == null) {
      return null;
    }
    try {
      ProviderKeyResult r =
          client
              .newUntypedWorkflowStub(id, Optional.of(runId), Optional.empty())
              .getResult(5, TimeUnit.SECONDS, ProviderKeyResult.class);
      return r == null ? null : r.newKey();
    } catch (Exception e) {
      return null;
    }
  }
}
