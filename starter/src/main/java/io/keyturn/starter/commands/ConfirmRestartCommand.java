package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.MasterKeyRotationWorkflow;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.MasterKeyStatus;
import io.temporal.client.WorkflowClient;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keyturn confirm-restart}: tells a master-key rotation the proxy was restarted. */
@Command(
    name = "confirm-restart",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Tells a master-key rotation waiting for a restart (restart.mode: manual, or a webhook or"
          + " rollout that did not take) that every proxy replica was restarted and now reads the"
          + " new master key. The rotation then checks the proxy accepts it before it verifies;"
          + " if it does not, it waits for another confirmation and says why.",
      "",
      "Restart every replica first: one left on the old key cannot decrypt the stored models."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn master-status prod            # says what to restart, and by when",
      "  keyturn confirm-restart master-key/prod",
      "",
      "Exit codes: 0 sent; 1 the rotation is not waiting for a restart (or not running); 2 usage."
    })
public final class ConfirmRestartCommand extends TemporalCommand {
  @Parameters(
      index = "0",
      paramLabel = "ID",
      description = "The rotation: master-key/<id>, or just <id>.")
  String given;

  @Override
  protected String workflowId() {
    return MasterKeyRequest.workflowIdOf(given);
  }

  @Override
  protected int run(WorkflowClient client) {
    String id = workflowId();
    MasterKeyRotationWorkflow wf = client.newWorkflowStub(MasterKeyRotationWorkflow.class, id);
    MasterKeyStatus s = wf.status();
    if (!s.awaitingRestart()) {
      throw CliFailure.failed(
          id
              + " is not waiting for a restart (it is "
              + s.phase()
              + ": "
              + s.detail()
              + "); nothing sent.");
    }
    wf.confirmRestart("keyturn confirm-restart by " + cli.user());
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workflowId", id);
      o.put("signal", "confirmRestart");
      o.put("expects", s.storesHold());
      Report.printJson(cli.out(), o);
    } else {
      cli.out()
          .println(
              "Confirmed the restart of "
                  + id
                  + ": it now checks the proxy accepts "
                  + s.newKey()
                  + ". Follow it: keyturn master-status "
                  + id.substring(MasterKeyRequest.WORKFLOW_PREFIX.length()));
    }
    return 0;
  }
}
