package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.output.RotationView;
import io.keyturn.starter.output.RotationWatcher;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.temporal.client.WorkflowClient;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn revoke-now}: ends a rotation's grace period early. */
@Command(
    name = "revoke-now",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Ends a rotation's grace period now: the old key is revoked as soon as the new key is"
          + " published (within seconds when the grace period has already begun).",
      "",
      "Use it when the old key leaked, or when every application already uses the new key. It is"
          + " safe to repeat. The new key is never skipped: if the rotation has not published it"
          + " yet, the old key keeps working until it has."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn revoke-now rotation/billing-api --reason \"in a CI log\"",
      "  keyturn wait rotation/billing-api"
    })
public final class RevokeNowCommand extends OneRotationCommand {
  @Option(
      names = "--reason",
      paramLabel = "TEXT",
      description = "Why, for the audit trail in the workflow history (do not paste keys here).")
  String reason;

  @Override
  protected int run(WorkflowClient client) {
    RotationView v = new RotationWatcher(client, cli.timing()).describeOnly(id);
    if (!v.running()) {
      throw CliFailure.failed(
          "rotation "
              + id
              + " is not running (it is "
              + v.workflowStatus()
              + "): there is no grace period to end. See `keyturn status "
              + id
              + "`");
    }
    String why =
        reason == null || reason.isBlank() ? "keyturn revoke-now by " + cli.user() : reason.strip();
    client.newWorkflowStub(KeyRotationWorkflow.class, id).revokeNow(why);
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workflowId", id);
      o.put("runId", v.runId());
      o.put("signal", "revokeNow");
      o.put("reason", why);
      o.put("ui", uiLink(id));
      Report.printJson(cli.out(), o);
    } else {
      cli.out().println("Sent revokeNow to " + id + " (reason: " + why + ").");
      cli.out()
          .println(
              "The old key is revoked as soon as the new key is published. Follow it: keyturn wait "
                  + id);
    }
    return 0;
  }
}
