package io.keyturn.starter.commands;

import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.output.RotationWatcher;
import io.keyturn.workflows.MasterKeyRotationWorkflow;
import io.keyturn.workflows.RotationMessages;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.MasterKeyStatus;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionMetadata;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn master-status}: a master-key rotation's state, and its earlier runs. */
@Command(
    name = "master-status",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Shows the latest master-key rotation of a proxy: its phase, what it does or waits for,"
          + " which key the proxy runs, which key its stored values are under and which key the"
          + " destinations hold, then the earlier runs (history)."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn master-status prod",
      "  keyturn master-status master-key/prod --json",
      "",
      "Exit codes: 0 shown (whatever the rotation's state); 1 no such rotation; 2 usage."
    })
public final class MasterStatusCommand extends TemporalCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "master-key/<id>, or just <id>.")
  String given;

  @Option(names = "--limit", defaultValue = "10", description = "Runs listed (default 10).")
  int limit;

  @Override
  protected String workflowId() {
    return MasterKeyRequest.workflowIdOf(given);
  }

  @Override
  protected int run(WorkflowClient client) {
    String id = workflowId();
    List<WorkflowExecutionMetadata> runs;
    try (Stream<WorkflowExecutionMetadata> s =
        client.listExecutions("WorkflowId = \"" + id + "\"")) {
      runs =
          s.limit(10_000)
              .sorted(Comparator.comparing(WorkflowExecutionMetadata::getStartTime).reversed())
              .limit(Math.max(1, limit))
              .toList();
    }
    if (runs.isEmpty()) {
      throw io.keyturn.starter.CliFailure.failed(notFound(id));
    }
    WorkflowExecutionMetadata latest = runs.get(0);
    MasterKeyStatus st = null;
    String failure = null;
    try {
      st = client.newWorkflowStub(MasterKeyRotationWorkflow.class, id).status();
    } catch (RuntimeException e) {
      failure = RotationMessages.rootMessage(e);
    }
    if (latest.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED) {
      try {
        client.newUntypedWorkflowStub(id).getResult(java.util.Map.class);
      } catch (RuntimeException e) {
        failure = RotationMessages.rootMessage(e);
      }
    }
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workflowId", id);
      o.put("status", RotationWatcher.statusName(latest.getStatus()));
      if (st != null) {
        o.put("phase", st.phase().name());
        o.put("detail", st.detail());
        o.put("oldKey", st.oldKey());
        o.put("newKey", st.newKey());
        o.put("proxyRuns", st.proxyRuns());
        o.put("storedValuesUnder", st.storedValuesUnder());
        o.put("destinationsHold", st.storesHold());
        o.put("storedModels", st.storedModels());
        o.put("credentials", st.credentials());
        o.put("awaitingRestart", st.awaitingRestart());
        o.put("restartDeadline", st.restartDeadline());
      }
      o.put("failure", failure);
      o.put(
          "runs",
          runs.stream()
              .map(
                  m -> {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("runId", m.getExecution().getRunId());
                    r.put("status", RotationWatcher.statusName(m.getStatus()));
                    r.put("startTime", String.valueOf(m.getStartTime()));
                    r.put(
                        "closeTime", m.getCloseTime() == null ? null : m.getCloseTime().toString());
                    return r;
                  })
              .toList());
      o.put("ui", uiLink(id));
      Report.printJson(cli.out(), o);
      return 0;
    }
    var out = cli.out();
    out.println(id + "  " + RotationWatcher.statusName(latest.getStatus()));
    if (st != null) {
      out.println("  phase:              " + st.phase());
      out.println("  " + st.detail());
      out.println("  old key:            " + st.oldKey());
      out.println("  new key:            " + st.newKey());
      out.println("  proxy runs:         " + st.proxyRuns());
      out.println("  stored values under:" + " " + st.storedValuesUnder());
      out.println("  destinations hold:  " + st.storesHold());
      out.println(
          "  counted at preflight: "
              + st.storedModels()
              + " stored model(s), "
              + st.credentials()
              + " credential(s)");
      if (st.awaitingRestart()) {
        out.println("  restart due by:     " + st.restartDeadline());
      }
    }
    if (failure != null && (st == null || !st.detail().equals(failure))) {
      out.println("  failure: " + failure);
    }
    out.println("  runs:");
    for (WorkflowExecutionMetadata m : runs) {
      out.println(
          "    "
              + m.getStartTime()
              + "  "
              + RotationWatcher.statusName(m.getStatus())
              + "  "
              + m.getExecution().getRunId());
    }
    out.println("  " + uiLink(id));
    return 0;
  }
}
