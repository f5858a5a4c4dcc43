package io.keyturn.starter.commands;

import io.keyturn.starter.output.Report;
import io.keyturn.starter.schedules.PolicyDrift;
import io.keyturn.starter.schedules.SchedulePlan;
import io.temporal.client.WorkflowClient;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code keyturn plan}: what apply would change; changes nothing. */
@Command(
    name = "plan",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Shows what `keyturn apply` would change to make Temporal's schedules match the file, and"
          + " changes nothing: schedules to create, update (naming the fields that changed),"
          + " pause or unpause, and the schedules of secrets no longer in the file (deleted only"
          + " with --prune).",
      "",
      "The file is validated first; with a problem, every problem is printed (file: field:"
          + " message Fix: ...) and the exit code is 2. Then gateways and destinations are checked from"
          + " here (--skip-checks skips that), and where a policy is written out or imported, the"
          + " live key's policy (the key the last rotation published) is compared field by field."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn plan -f keyturn.yaml",
      "  keyturn plan -f config/ --prune",
      "  keyturn plan -f keyturn.yaml --json | jq '.changes[] | select(.action != \"unchanged\")'",
      "",
      "Exit codes: 0 the plan was made (changes or not), 1 Temporal could not be used,"
          + " 2 the file is invalid or bad usage."
    })
public final class PlanCommand extends ReconcileCommand {

  @Override
  protected int run(WorkflowClient client) {
    SchedulePlan plan =
        SchedulePlan.compute(schedules(client), specs, masterKeys, providerKeys, prune);
    List<PolicyDrift.Drift> drift =
        skipChecks ? List.of() : PolicyDrift.compute(client, specs, cli.env());
    if (global.json()) {
      Map<String, Object> o = planJson(plan, false);
      o.put("policyDrift", drift.stream().map(PolicyDrift.Drift::json).toList());
      Report.printJson(cli.out(), o);
      return 0;
    }
    cli.out().println("Plan: " + header());
    printPlan(cli.out(), plan, false);
    List<PolicyDrift.Drift> differing =
        drift.stream().filter(d -> !d.differences().isEmpty() || d.note() != null).toList();
    if (!differing.isEmpty()) {
      cli.out().println("Live policies (the next rotation of each secret applies the file's):");
      for (PolicyDrift.Drift d : differing) {
        String who = d.secretId() + (d.liveKey() == null ? "" : " (" + d.liveKey() + ")");
        if (d.note() != null) {
          cli.out().println("  ? " + who + ": " + d.note());
        }
        for (String diff : d.differences()) {
          cli.out().println("  ~ " + who + ": " + diff);
        }
      }
    }
    cli.out()
        .println(
            plan.hasChanges()
                ? "Run `keyturn apply -f "
                    + config.file
                    + (prune ? " --prune" : "")
                    + "` to make them."
                : "No changes.");
    return 0;
  }
}
