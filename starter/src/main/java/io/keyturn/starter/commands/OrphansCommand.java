package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.OrphanSweepWorkflow;
import io.keyturn.workflows.model.Orphan;
import io.keyturn.workflows.model.OrphanDeletion;
import io.keyturn.workflows.model.OrphanReport;
import io.keyturn.workflows.model.SecretTargets;
import io.keyturn.workflows.model.SweepRequest;
import io.keyturn.workflows.model.SweepResult;
import io.temporal.client.WorkflowClient;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn orphans}: keys Keyturn minted that nothing uses; deletes them when told to. */
@Command(
    name = "orphans",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Lists the keys at the proxy that Keyturn minted (alias keyturn-<secret>-g<generation>,"
          + " with Keyturn's metadata) but that no destination of the file's secrets holds and no"
          + " running rotation owns: for example the new key of a rotation someone terminated by"
          + " hand between mint and publish. Each comes with its evidence: which rotation minted"
          + " it, what each destination holds, which rotations run.",
      "",
      "The worker does the looking (it holds the stores' credentials and the management key)."
          + " A key whose secret is not in the file is never listed, and while any destination"
          + " cannot be read nothing is.",
      "",
      "--delete deletes them after you confirm (type the number of keys), or with --yes. The"
          + " worker checks each key once more right before deleting it and keeps any that a"
          + " destination holds or a rotation owns by then."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn orphans -f keyturn.yaml",
      "  keyturn orphans -f keyturn.yaml --delete",
      "  keyturn orphans -f keyturn.yaml --delete --yes      # scripts: no prompt",
      "  keyturn orphans -f keyturn.yaml --schedule 6h       # the report every 6 hours"
          + " (metric keyturn_orphan_keys)",
      "  keyturn orphans -f keyturn.yaml --json | jq '.orphans[].alias'",
      "",
      "Exit codes: 0 listed (even none) or deleted, 1 the worker or Temporal could not answer,"
          + " 2 bad usage (also --delete without --yes where no one can be asked)."
    })
public final class OrphansCommand extends AuditCommand {
  static final String SCHEDULE_ID = "keyturn-orphans";

  @Option(
      names = "--delete",
      description =
          "Delete the orphans listed, after confirmation (a prompt, or --yes). Never a key a"
              + " destination holds or a running rotation owns: each is checked again right"
              + " before it is deleted.")
  boolean delete;

  @Option(
      names = {"-y", "--yes"},
      description = "With --delete: do not ask; delete what the worker finds.")
  boolean yes;

  @Override
  String scheduleId() {
    return SCHEDULE_ID;
  }

  @Override
  Class<?> workflowType() {
    return OrphanSweepWorkflow.class;
  }

  @Override
  String workflowName() {
    return "OrphanSweep";
  }

  @Override
  Object scheduledArgument(List<SecretTargets> targets) {
    return new SweepRequest(targets, List.of());
  }

  @Override
  String workflowIdPrefix() {
    return OrphanSweepWorkflow.WORKFLOW_ID_PREFIX;
  }

  @Override
  protected void prepare() {
    if (yes && !delete) {
      throw usage("--yes only confirms --delete; add --delete, or drop --yes to only list");
    }
    if (delete && scheduling != null) {
      throw usage("--delete cannot be scheduled: a schedule only reports (drop --delete)");
    }
    if (delete && !yes && (global.json() || !cli.io().tty())) {
      throw new CliFailure(
          CliFailure.USAGE,
          "--delete needs a confirmation and "
              + (global.json()
                  ? "--json output asks no questions"
                  : "this shell is not interactive")
              + ": nothing was listed or deleted. Review the orphans with `keyturn orphans -f "
              + config.file
              + "`, then delete them with `keyturn orphans -f "
              + config.file
              + " --delete --yes`.");
    }
    super.prepare();
  }

  @Override
  protected int run(WorkflowClient client) {
    if (scheduled(client)) {
      return 0;
    }
    List<SecretTargets> targets = targets(specs);
    SweepResult found =
        ask(client, "looking for orphans", SweepResult.class, new SweepRequest(targets, List.of()));
    OrphanReport report = found.report();
    if (!delete) {
      if (global.json()) {
        Report.printJson(cli.out(), json(report, null));
      } else {
        print(report);
        if (!report.orphans().isEmpty()) {
          cli.out()
              .println(
                  "Delete them with `keyturn orphans -f "
                      + config.file
                      + " --delete` (it asks first; --yes for scripts).");
        }
      }
      return 0;
    }
    if (report.orphans().isEmpty()) {
      if (global.json()) {
        Report.printJson(cli.out(), json(report, List.of()));
      } else {
        print(report);
      }
      return 0;
    }
    if (!global.json()) {
      print(report);
    }
    if (!yes && !confirmed(report.orphans().size())) {
      cli.out().println("Nothing was deleted.");
      return 0;
    }
    SweepResult done =
        ask(
            client,
            "deleting orphans",
            SweepResult.class,
            new SweepRequest(targets, report.orphans()));
    if (global.json()) {
      Report.printJson(cli.out(), json(report, done.deletions()));
      return 0;
    }
    int deleted = 0;
    for (OrphanDeletion d : done.deletions()) {
      cli.out().println("  " + d.alias() + "  " + d.key().fingerprint() + "  " + d.outcome());
      deleted += d.deleted() ? 1 : 0;
    }
    cli.out()
        .println(
            deleted
                + " of "
                + done.deletions().size()
                + " deleted"
                + (deleted < done.deletions().size()
                    ? " (the rest were already gone or are kept, as each line says)."
                    : "."));
    return 0;
  }

  private boolean confirmed(int n) {
    cli.out().print("Delete these " + n + " key(s) at the proxy? Type " + n + " to confirm: ");
    cli.out().flush();
    try {
      String line =
          new BufferedReader(new InputStreamReader(cli.io().in(), StandardCharsets.UTF_8))
              .readLine();
      return line != null && line.strip().equals(String.valueOf(n));
    } catch (IOException e) {
      return false;
    }
  }

  private void print(OrphanReport r) {
    if (r.orphans().isEmpty()) {
      cli.out()
          .println(
              "No orphans: each of the "
                  + r.keyturnKeys()
                  + " key(s) Keyturn minted at the file's gateways is held by a destination or"
                  + " owned by a running rotation.");
    } else {
      cli.out()
          .println(
              r.orphans().size()
                  + " orphan(s) among the "
                  + r.keyturnKeys()
                  + " key(s) Keyturn minted at the file's gateways:");
      for (Orphan o : r.orphans()) {
        var k = o.key();
        cli.out()
            .println("  " + k.alias() + "  " + k.ref().fingerprint() + "  at " + k.gatewayUrl());
        Report.row(cli.out(), "secret", k.secretId() + ", generation " + k.generation());
        Report.row(cli.out(), "created", k.createdAt() == null ? "unknown" : k.createdAt());
        for (String e : o.evidence()) {
          cli.out().println("      - " + e);
        }
      }
    }
    r.notes().forEach(n -> cli.out().println("note: " + n));
  }

  private static Map<String, Object> json(OrphanReport r, List<OrphanDeletion> deletions) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("keyturnKeys", r.keyturnKeys());
    o.put(
        "orphans",
        r.orphans().stream()
            .map(
                x -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("alias", x.key().alias());
                  m.put("fingerprint", x.key().ref().fingerprint());
                  m.put("tokenHash", x.key().ref().tokenHash());
                  m.put("secretId", x.key().secretId());
                  m.put("generation", x.key().generation());
                  m.put("createdAt", x.key().createdAt());
                  m.put("mintedBy", x.key().workflowId());
                  m.put("gateway", x.key().gatewayUrl());
                  m.put("evidence", x.evidence());
                  return m;
                })
            .toList());
    o.put("notes", r.notes());
    if (deletions != null) {
      o.put(
          "deletions",
          deletions.stream()
              .map(
                  d -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("alias", d.alias());
                    m.put("fingerprint", d.key().fingerprint());
                    m.put("deleted", d.deleted());
                    m.put("outcome", d.outcome());
                    return m;
                  })
              .toList());
    }
    return o;
  }
}
