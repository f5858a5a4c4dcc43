package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.model.FleetProgress;
import io.temporal.client.WorkflowClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keyturn fleet-status}: where a fleet rotation stands. */
@Command(
    name = "fleet-status",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Shows a fleet rotation's state (RUNNING, STOPPED, COMPLETED), its wave, counts and every"
          + " member's rotation with its workflow id and failure. A running fleet's progress comes"
          + " from its progress query, which a keyturn worker answers."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn fleet-status 2025-q1",
      "  keyturn fleet-status fleet/2025-q1 --json | jq '.members[] | select(.state == \"FAILED\")'",
      "",
      "Exit codes: 0 shown, 1 not found, no answer or Temporal failed, 2 bad usage."
    })
public final class FleetStatusCommand extends TemporalCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The fleet id, or fleet/<id>.")
  String id;

  @Override
  protected String workflowId() {
    return FleetCommands.workflowId(id);
  }

  @Override
  protected String notFound(String workflowId) {
    return "no fleet with id '"
        + workflowId
        + "' in namespace '"
        + connection.namespace()
        + "' at "
        + connection.address()
        + ": check the fleet id (as `keyturn rotate-fleet` printed it: its --fleet-id, with or"
        + " without fleet/) and --namespace; for one secret's rotation use `keyturn status"
        + " rotation/<secret-id>`";
  }

  @Override
  protected int run(WorkflowClient client) {
    String wfId = workflowId();
    FleetProgress p = FleetCommands.progress(client, wfId, cli.timing());
    if (p == null) {
      throw CliFailure.failed(
          "fleet "
              + wfId
              + " exists but its progress cannot be read: is a keyturn worker running? ("
              + "`temporal workflow describe -w "
              + wfId
              + "` shows what Temporal knows)");
    }
    if (global.json()) {
      Report.printJson(cli.out(), FleetCommands.json(p, uiLink(wfId)));
    } else {
      FleetCommands.print(cli.out(), p, uiLink(wfId));
    }
    return 0;
  }
}
