package io.keyturn.starter;

import io.temporal.client.WorkflowClient;
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
          + " message Fix: ...) and the exit code is 2. No key is read."
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
final class PlanCommand extends ReconcileCommand {

  @Override
  int run(WorkflowClient client) {
    SchedulePlan plan = SchedulePlan.compute(schedules(client), specs, prune);
    if (global.json) {
      Report.printJson(cli.out(), planJson(plan, false));
      return 0;
    }
    cli.out().println("Plan: " + header());
    printPlan(cli.out(), plan, false);
    cli.out()
        .println(
            plan.hasChanges()
                ? "Run `keyturn apply -f " + file + (prune ? " --prune" : "") + "` to make them."
                : "No changes.");
    return 0;
  }
}
