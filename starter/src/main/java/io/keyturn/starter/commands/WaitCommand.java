package io.keyturn.starter.commands;

import io.temporal.client.WorkflowClient;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code keyturn wait}: follows one rotation until it closes. */
@Command(
    name = "wait",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Follows a rotation until it closes, showing its phase (and the grace countdown) on stderr,"
          + " then prints the outcome: the new key, where it was published and how the old key"
          + " was revoked, or why the rotation failed.",
      "",
      "Exit 0 when the rotation completed; 1 when it failed, was rolled back, terminated or timed"
          + " out. Ctrl-C stops the waiting, not the rotation: it goes on in Temporal."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn wait rotation/billing-api",
      "  keyturn wait rotation/billing-api --json > outcome.json"
    })
public final class WaitCommand extends OneRotationCommand {
  @Override
  protected int run(WorkflowClient client) {
    return awaitAndReport(client, id, Map.of());
  }
}
