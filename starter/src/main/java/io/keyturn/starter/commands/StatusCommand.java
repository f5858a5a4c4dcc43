package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.output.RotationView;
import io.keyturn.starter.output.RotationWatcher;
import io.temporal.client.WorkflowClient;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn status}: where one rotation stands. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Shows where a rotation stands: its phase, the old and new keys' fingerprints, where the new"
          + " key was published, when the grace period ends, and Temporal's own execution status"
          + " (RUNNING, COMPLETED, FAILED, TERMINATED, ...).",
      "",
      "The phase comes from the workflow's status query, which a keyturn worker answers (for a"
          + " closed rotation too, by replaying its history). Without a worker, only Temporal's"
          + " execution status is shown."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn status rotation/billing-api",
      "  keyturn status rotation/billing-api --json | jq .status",
      "  keyturn status rotation/billing-api --wait",
      "",
      "Exit code: 0 when the rotation was found (whatever its state; with --wait: 0 only if it"
          + " completed), 1 when it was not found or Temporal could not be reached."
    })
public final class StatusCommand extends OneRotationCommand {
  @Option(
      names = "--wait",
      description = "Then follow the rotation until it closes, like `keyturn wait`.")
  boolean await;

  @Override
  protected int run(WorkflowClient client) {
    RotationView v = new RotationWatcher(client, cli.timing()).inspect(id);
    if (v.statusError() != null) {
      cli.err()
          .println(
              "note: "
                  + v.statusError().replaceAll("\\.+$", "")
                  + ". Showing what Temporal knows.");
    }
    String ui = uiLink(id);
    if (await && v.running()) {
      if (!global.json()) {
        Report.printStatus(cli.out(), v, ui, cli.clock());
        cli.out().flush();
      }
      return awaitAndReport(client, id, Map.of());
    }
    if (global.json()) {
      Report.printJson(cli.out(), Report.json(v, ui));
    } else {
      Report.printStatus(cli.out(), v, ui, cli.clock());
    }
    return !await || v.completed() ? 0 : CliFailure.FAILED;
  }
}
