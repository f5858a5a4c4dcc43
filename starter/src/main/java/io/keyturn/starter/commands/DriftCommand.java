package io.keyturn.starter.commands;

import io.keyturn.starter.config.SecretSpec;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.DriftCheckWorkflow;
import io.keyturn.workflows.model.SecretDrift;
import io.keyturn.workflows.model.SecretTargets;
import io.temporal.client.WorkflowClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keyturn drift}: whether each secret's destinations and proxy key are as published. */
@Command(
    name = "drift",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Checks, on the worker, that every destination of each secret still holds the key the"
          + " primary destination holds (and the last completed rotation published), and that the"
          + " proxy has that key, live and unblocked, with the policy the file writes out. Drift is"
          + " reported, never fixed: the next rotation publishes a new key everywhere, or put the"
          + " right key back by hand.",
      "",
      "A secret whose rotation runs is not checked (its destinations change while it runs)."
          + " Each answer also sets the worker's keyturn_drift{secret} metric (1 drift, 0 none,"
          + " -1 not checked), and `keyturn list` shows the newest one."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn drift -f keyturn.yaml",
      "  keyturn drift -f keyturn.yaml svc-a",
      "  keyturn drift -f keyturn.yaml --schedule 1h      # every hour, for alerts",
      "  keyturn drift -f keyturn.yaml --json | jq '.secrets[] | select(.state == \"drift\")'",
      "",
      "Exit codes: 0 no drift, 3 drift found, 1 the worker or Temporal could not answer, 2 bad"
          + " usage."
    })
public final class DriftCommand extends AuditCommand {
  static final String SCHEDULE_ID = "keyturn-drift";

  /** The exit code when a secret drifted. */
  static final int DRIFTED = 3;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "SECRET",
      description = "Only this secret of the file (default: all).")
  String secretId;

  @Override
  String scheduleId() {
    return SCHEDULE_ID;
  }

  @Override
  Class<?> workflowType() {
    return DriftCheckWorkflow.class;
  }

  @Override
  String workflowName() {
    return DriftCheckWorkflow.TYPE;
  }

  @Override
  Object scheduledArgument(List<SecretTargets> targets) {
    return targets;
  }

  @Override
  String workflowIdPrefix() {
    return DriftCheckWorkflow.WORKFLOW_ID_PREFIX;
  }

  @Override
  protected void prepare() {
    super.prepare();
    if (secretId != null) {
      List<SecretSpec> one = specs.stream().filter(s -> s.id().equals(secretId)).toList();
      if (one.isEmpty()) {
        throw usage(
            "no secret '"
                + secretId
                + "' in "
                + config.file
                + " (it declares "
                + String.join(", ", specs.stream().map(SecretSpec::id).toList())
                + ")");
      }
      specs = one;
    }
  }

  @Override
  protected int run(WorkflowClient client) {
    if (scheduled(client)) {
      return 0;
    }
    SecretDrift[] answers =
        ask(client, "checking for drift", SecretDrift[].class, new ArrayList<>(targets(specs)));
    boolean drifted = false;
    List<Map<String, Object>> rows = new ArrayList<>();
    for (SecretDrift d : answers) {
      drifted |= d.drifted();
      if (global.json()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("secretId", d.secretId());
        m.put("state", d.state());
        m.put("currentKey", d.currentKey());
        m.put("findings", d.findings());
        m.put("checkedAt", d.checkedAt());
        rows.add(m);
        continue;
      }
      cli.out()
          .println(
              d.secretId()
                  + "  "
                  + (d.drifted() ? "DRIFT" : d.state())
                  + (d.currentKey() == null ? "" : "  (primary holds " + d.currentKey() + ")"));
      d.findings().forEach(f -> cli.out().println("  - " + f));
    }
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("drifted", drifted);
      o.put("secrets", rows);
      Report.printJson(cli.out(), o);
    } else if (drifted) {
      cli.out()
          .println(
              "Nothing was changed. Rotate the secret (`keyturn rotate-now <secret>`) to publish a"
                  + " new key everywhere, or put the right key back where it drifted.");
    }
    return drifted ? DRIFTED : 0;
  }
}
