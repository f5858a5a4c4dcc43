package io.keyturn.starter.commands;

import io.keyturn.starter.output.Report;
import io.keyturn.starter.output.RotationWatcher;
import io.keyturn.starter.schedules.KindSchedules;
import io.keyturn.starter.schedules.ScheduledRotations;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.SecretDrift;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowExecutionMetadata;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.schedules.ScheduleActionExecution;
import io.temporal.client.schedules.ScheduleActionExecutionStartWorkflow;
import io.temporal.client.schedules.ScheduleActionResult;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleDescription;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import picocli.CommandLine.Command;

/** {@code keyturn list}: every rotating secret Keyturn schedules. */
@Command(
    name = "list",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Lists every secret with a Keyturn schedule (keyturn/<id>): active or paused, when it"
          + " rotates, the next run, the last rotation's workflow id and outcome, and the"
          + " fingerprint of the key the last completed rotation published, whoever started it"
          + " (the schedule, rotate-now, rotate or a fleet: all run as rotation/<id>), and the"
          + " newest drift check's answer (`keyturn drift`). Schedules"
          + " Keyturn did not create are not shown. Key values are never shown.",
      "",
      "Then every provider-key rotation (provider-key/<modelGroup>, scheduled or started with"
          + " rotate-provider): running or the newest run's outcome, its phase, what it waits for"
          + " (keyturn provide or confirm-revoked), the fingerprint of its new key and of the key"
          + " the newest completed rotation put in place (--json: providerKeys)."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn list",
      "  keyturn list --json | jq '.secrets[] | select(.state == \"paused\")'",
      "",
      "Exit codes: 0 listed (even none), 1 Temporal could not be used, 2 bad usage."
    })
public final class ListCommand extends ScheduleCommand {

  /** One secret's line. */
  record Row(
      String secretId,
      String scheduleId,
      String state,
      String note,
      String schedule,
      Instant nextRun,
      String lastWorkflowId,
      String lastOutcome,
      String currentKey,
      String running,
      SecretDrift drift) {}

  @Override
  protected int run(WorkflowClient client) {
    List<Row> rows = new ArrayList<>();
    Map<String, SecretDrift> drift = DriftChecks.latest(client);
    var managed = managedSchedules(client);
    managed.forEach((secretId, d) -> rows.add(row(client, secretId, d, drift.get(secretId))));
    List<ProviderKeyRuns.Row> providers = ProviderKeyRuns.collect(client, managed);
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("namespace", connection.namespace());
      o.put(
          "secrets",
          rows.stream()
              .map(
                  r -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("secretId", r.secretId());
                    m.put("scheduleId", r.scheduleId());
                    m.put("state", r.state());
                    m.put("note", r.note());
                    m.put("schedule", r.schedule());
                    m.put("nextRun", r.nextRun() == null ? null : r.nextRun().toString());
                    m.put("lastWorkflowId", r.lastWorkflowId());
                    m.put("lastOutcome", r.lastOutcome());
                    m.put("currentKey", r.currentKey());
                    m.put("running", r.running());
                    m.put("drift", DriftChecks.json(r.drift()));
                    return m;
                  })
              .toList());
      o.put("providerKeys", providers.stream().map(ProviderKeyRuns.Row::json).toList());
      Report.printJson(cli.out(), o);
      return 0;
    }
    if (rows.isEmpty() && providers.isEmpty()) {
      cli.out()
          .println(
              "No Keyturn schedules in namespace '"
                  + connection.namespace()
                  + "' at "
                  + connection.address()
                  + ". Create them with `keyturn apply -f keyturn.yaml`.");
      return 0;
    }
    for (Row r : rows) {
      cli.out().println(r.secretId() + "  " + r.state());
      Report.row(cli.out(), "schedule", r.schedule());
      if ("paused".equals(r.state()) && r.note() != null && !r.note().isBlank()) {
        Report.row(cli.out(), "note", r.note());
      }
      Report.row(
          cli.out(),
          "next run",
          "paused".equals(r.state()) || r.nextRun() == null ? "-" : r.nextRun().toString());
      Report.row(
          cli.out(),
          "last run",
          r.lastWorkflowId() == null ? "none yet" : r.lastWorkflowId() + "  " + r.lastOutcome());
      if (r.running() != null) {
        Report.row(cli.out(), "running", r.running());
      }
      Report.row(
          cli.out(),
          "current key",
          r.currentKey() == null ? "unknown (no completed rotation listed)" : r.currentKey());
      Report.row(cli.out(), "drift", DriftChecks.line(r.drift()));
    }
    if (!providers.isEmpty()) {
      cli.out().println("Provider keys (model groups behind the proxy):");
    }
    for (ProviderKeyRuns.Row p : providers) {
      cli.out().println(p.workflowId() + "  " + p.state());
      if (p.scheduleId() != null) {
        Report.row(cli.out(), "schedule", p.scheduleId());
      }
      Report.row(cli.out(), "phase", p.phase() == null ? "-" : p.phase());
      if (p.waitingFor() != null) {
        Report.row(cli.out(), "waiting for", p.waitingFor());
      }
      Report.row(cli.out(), "new key", p.newKey() == null ? "-" : p.newKey());
      Report.row(
          cli.out(),
          "current key",
          p.currentKey() == null ? "unknown (no completed rotation listed)" : p.currentKey());
    }
    return 0;
  }

  private Row row(
      WorkflowClient client, String secretId, ScheduleDescription d, SecretDrift drift) {
    var state = d.getSchedule().getState();
    String text = null;
    if (d.getSchedule().getAction() instanceof ScheduleActionStartWorkflow a
        && a.getOptions().getMemo() != null) {
      String spec =
          ScheduledRotations.memoText(a.getOptions().getMemo().get(ScheduledRotations.MEMO_SPEC));
      if (spec != null) {
        try {
          text = String.valueOf(Report.JSON_READER.readTree(spec).path("schedule").asText());
        } catch (Exception e) {
          text = null;
        }
      }
    }
    List<Instant> next = d.getInfo().getNextActionTimes();
    // The schedule's own last start, when no rotation of the secret ran yet (no worker, say).
    List<ScheduleActionResult> recent = d.getInfo().getRecentActions();
    String lastId = null;
    String lastOutcome = null;
    for (int i = recent.size() - 1; i >= 0 && lastId == null; i--) {
      if (recent.get(i).getAction() instanceof ScheduleActionExecutionStartWorkflow w) {
        lastId = w.getWorkflowId();
        lastOutcome = outcome(client, w);
      }
    }
    String running = null;
    for (ScheduleActionExecution e : d.getInfo().getRunningActions()) {
      if (e instanceof ScheduleActionExecutionStartWorkflow) {
        // The schedule's launcher waits on the rotation, which runs under the secret's one id.
        running = KindSchedules.startedId(secretId, d);
      }
    }
    // Every rotation of the secret runs under this one id, whoever started it: the schedule,
    // rotate-now, rotate or a fleet. Its runs, not the schedule's, say what the secret holds now.
    String rotationId = KindSchedules.startedId(secretId, d);
    String key = null;
    WorkflowExecutionDescription latest = latestRun(client, rotationId);
    if (latest != null) {
      lastId = rotationId;
      lastOutcome = RotationWatcher.statusName(latest.getStatus());
      if (latest.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        running = rotationId;
      }
      key =
          newKey(
              client,
              rotationId,
              latest.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
                  ? latest.getExecution().getRunId()
                  : lastCompletedRun(client, rotationId));
    }
    return new Row(
        secretId,
        d.getId(),
        state.isPaused() ? "paused" : "active",
        state.getNote(),
        text,
        next.isEmpty() ? null : next.get(0),
        lastId,
        lastOutcome,
        key,
        running,
        drift);
  }

  private static WorkflowStub stub(WorkflowClient client, ScheduleActionExecutionStartWorkflow w) {
    return client.newUntypedWorkflowStub(
        w.getWorkflowId(), Optional.ofNullable(w.getFirstExecutionRunId()), Optional.empty());
  }

  private static String outcome(WorkflowClient client, ScheduleActionExecutionStartWorkflow w) {
    try {
      WorkflowExecutionStatus s = stub(client, w).describe().getStatus();
      return RotationWatcher.statusName(s);
    } catch (RuntimeException e) {
      return "unknown";
    }
  }

  /** The latest run of {@code rotationId}; null when it never ran (or is past retention). */
  private static WorkflowExecutionDescription latestRun(WorkflowClient client, String rotationId) {
    try {
      return client.newUntypedWorkflowStub(rotationId).describe();
    } catch (WorkflowNotFoundException e) {
      return null;
    }
  }

  /** The run id of the newest completed run of {@code rotationId}, or null. */
  private static String lastCompletedRun(WorkflowClient client, String rotationId) {
    try (Stream<WorkflowExecutionMetadata> runs =
        client.listExecutions(
            "WorkflowId = \"" + rotationId + "\" AND ExecutionStatus = \"Completed\"")) {
      return runs.limit(1000)
          .max(Comparator.comparing(WorkflowExecutionMetadata::getStartTime))
          .map(m -> m.getExecution().getRunId())
          .orElse(null);
    }
  }

  /** The key a completed run published: fingerprint and alias. */
  private static String newKey(WorkflowClient client, String rotationId, String runId) {
    if (runId == null) {
      return null;
    }
    if (rotationId.startsWith(io.keyturn.workflows.model.ProviderKeyRequest.WORKFLOW_PREFIX)) {
      return ProviderKeyRuns.resultKey(client, rotationId, runId);
    }
    try {
      RotationResult r =
          client
              .newUntypedWorkflowStub(rotationId, Optional.of(runId), Optional.empty())
              .getResult(5, TimeUnit.SECONDS, RotationResult.class);
      return r.newKey() == null ? null : r.newKey().fingerprint() + " (" + r.newKeyAlias() + ")";
    } catch (Exception e) {
      return null;
    }
  }
}
