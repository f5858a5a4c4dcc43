package io.keyturn.starter.commands;

import io.keyturn.starter.output.Report;
import io.keyturn.starter.output.RotationWatcher;
import io.keyturn.starter.schedules.ScheduledRotations;
import io.keyturn.workflows.KeyturnSearchAttributes;
import io.keyturn.workflows.model.ProviderKeyRequest;
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

/** {@code keyturn history}: every rotation of one secret. */
@Command(
    name = "history",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Lists the rotations of one secret, newest first: every workflow whose id starts with"
          + " rotation/<id>/ (scheduled, triggered with rotate-now, or started with rotate), its"
          + " status and its start and close times. Details: keyturn status WORKFLOW-ID.",
      "",
      "With provider-key/<modelGroup>: the provider-key rotations of that model group (scheduled"
          + " or started with rotate-provider), each with its last phase and, once completed, its"
          + " new key's fingerprint. Details: keyturn provider-status provider-key/<modelGroup>."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn history billing-api",
      "  keyturn history billing-api --limit 5 --json",
      "  keyturn history provider-key/gpt-4o-mini",
      "",
      "Exit codes: 0 listed (even none), 1 Temporal could not be used, 2 bad usage."
    })
public final class HistoryCommand extends OneSecretCommand {
  @Option(
      names = "--limit",
      paramLabel = "N",
      defaultValue = "50",
      description = "Show at most N rotations (default: ${DEFAULT-VALUE}).")
  int limit;

  @Override
  protected void prepare() {
    if (isProviderKey()) {
      if (secretId.length() == ProviderKeyRequest.WORKFLOW_PREFIX.length()) {
        throw usage("name the model group: provider-key/<modelGroup>");
      }
    } else if (!secretId.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,62}")) {
      throw usage(
          "'"
              + secretId
              + "' is not a secret id (letters, digits, '.', '_', '-') nor"
              + " provider-key/<modelGroup>");
    }
    if (limit < 1) {
      throw usage("--limit must be 1 or more");
    }
  }

  /** {@code provider-key/<group>}: the rotations of a provider key, which run under that id. */
  private boolean isProviderKey() {
    return secretId.startsWith(ProviderKeyRequest.WORKFLOW_PREFIX);
  }

  @Override
  protected int run(WorkflowClient client) {
    // Every rotation of the secret, whoever started it, runs under this one id.
    String id = isProviderKey() ? secretId : ScheduledRotations.rotationId(secretId);
    List<WorkflowExecutionMetadata> found;
    try (Stream<WorkflowExecutionMetadata> s =
        client.listExecutions("WorkflowId = \"" + id + "\"")) {
      found = s.limit(10_000).toList();
    }
    List<WorkflowExecutionMetadata> rows =
        found.stream()
            .sorted(Comparator.comparing(WorkflowExecutionMetadata::getStartTime).reversed())
            .limit(limit)
            .toList();
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("secretId", secretId);
      o.put(
          "rotations",
          rows.stream()
              .map(
                  m -> {
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("workflowId", m.getExecution().getWorkflowId());
                    r.put("runId", m.getExecution().getRunId());
                    r.put("status", RotationWatcher.statusName(m.getStatus()));
                    if (isProviderKey()) {
                      var attrs = m.getTypedSearchAttributes();
                      r.put(
                          "phase",
                          attrs.containsKey(KeyturnSearchAttributes.PHASE)
                              ? attrs.get(KeyturnSearchAttributes.PHASE)
                              : null);
                      r.put("newKey", newKey(client, m));
                    }
                    r.put(
                        "startTime", m.getStartTime() == null ? null : m.getStartTime().toString());
                    r.put(
                        "closeTime", m.getCloseTime() == null ? null : m.getCloseTime().toString());
                    return r;
                  })
              .toList());
      Report.printJson(cli.out(), o);
      return 0;
    }
    if (rows.isEmpty()) {
      cli.out()
          .println(
              "No rotations of '"
                  + secretId
                  + "' in namespace '"
                  + connection.namespace()
                  + "' (workflow id "
                  + id
                  + "). Closed ones are kept for the namespace's retention period only.");
      return 0;
    }
    for (WorkflowExecutionMetadata m : rows) {
      String extra = "";
      if (isProviderKey()) {
        var attrs = m.getTypedSearchAttributes();
        String key = newKey(client, m);
        extra =
            (attrs.containsKey(KeyturnSearchAttributes.PHASE)
                    ? "  phase " + attrs.get(KeyturnSearchAttributes.PHASE)
                    : "")
                + (key == null ? "" : "  new key " + key);
      }
      cli.out()
          .println(
              String.format(
                  "%s run %s  %-11s started %s%s%s",
                  m.getExecution().getWorkflowId(),
                  m.getExecution().getRunId(),
                  RotationWatcher.statusName(m.getStatus()),
                  m.getStartTime(),
                  m.getCloseTime() == null ? "" : ", closed " + m.getCloseTime(),
                  extra));
    }
    return 0;
  }

  /** A completed provider-key run's new key fingerprint; null for the others. */
  private static String newKey(WorkflowClient client, WorkflowExecutionMetadata m) {
    return m.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
        ? ProviderKeyRuns.resultKey(
            client, m.getExecution().getWorkflowId(), m.getExecution().getRunId())
        : null;
  }
}
