package io.keyturn.starter.commands;

import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.client.WorkflowClient;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn rollback}: undoes a rotation in its grace period. */
@Command(
    name = "rollback",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Undoes a rotation while it is in its grace period, when the new key turns out to break a"
          + " client: the old key (still valid) is put back in every destination and read back"
          + " there, the revoke is cancelled, the new key is deleted at the proxy, and the"
          + " rotation ends as ROLLED_BACK with your reason.",
      "",
      "First the worker checks that the old key still works at the proxy; if it does not, or a"
          + " destination cannot take the old key back, whatever was changed is put back, the"
          + " rotation goes on in its grace period, and this command says why and exits 1.",
      "",
      "Refused, with nothing changed: after the grace period (the old key is gone or being"
          + " revoked: rotate again instead), after revoke-now, before the new key is published,"
          + " and for a rotation started with --key-hash (the worker never had the old key's"
          + " value to put back)."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn rollback billing-api --reason \"client X rejects the new key\"",
      "  keyturn rollback rotation/billing-api --reason \"INC-1234\" --json",
      "",
      "Exit code: 0 when the rotation was rolled back, 1 when it was refused or not found (nothing"
          + " changed), 2 for bad usage."
    })
public final class RollbackCommand extends RotationUpdateCommand {
  @Option(
      names = "--reason",
      required = true,
      paramLabel = "TEXT",
      description = "Why, for the audit trail and the rotation's outcome (do not paste keys here).")
  String reason;

  @Override
  protected void prepare() {
    super.prepare();
    if (reason == null || reason.isBlank()) {
      throw usage(
          "--reason must say why the rotation is rolled back (it goes into the audit trail)");
    }
  }

  @Override
  protected String doing() {
    return "roll back";
  }

  @Override
  protected String notRunningHint(String workflowStatus) {
    return "COMPLETED".equals(workflowStatus)
        ? "The rotation finished: the old key is gone, so it cannot be put back. Rotate again"
            + " instead."
        : "The rotation is over: there is nothing left to undo; rotate again if you need a new key.";
  }

  @Override
  protected int run(WorkflowClient client) {
    String why = reason.strip();
    if (!global.json()) {
      cli.err()
          .println("Rolling back " + id + ": putting the old key back in every destination...");
      cli.err().flush();
    }
    RotationStatus s = send(client, KeyRotationWorkflow.ROLLBACK, why, cli.user());
    if (global.json()) {
      Map<String, Object> o = json("rollback", s);
      o.put("reason", why);
      printJson(o);
    } else {
      cli.out().println(id + "  " + s.phase());
      cli.out().println(s.message());
    }
    return 0;
  }
}
