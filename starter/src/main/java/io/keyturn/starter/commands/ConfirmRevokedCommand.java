package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.ProviderKeyRotationWorkflow;
import io.keyturn.workflows.model.ProviderKeyStatus;
import io.temporal.client.WorkflowClient;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keyturn confirm-revoked}: the old provider key was revoked in the provider's console. */
@Command(
    name = "confirm-revoked",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {
      "Tells a provider-key rotation that waits for it (provider: manual, or an old key Keyturn"
          + " did not create) that you revoked the old key at the provider. Its deployment was"
          + " already removed from the proxy: nothing calls with it any more."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn provider-status provider-key/gpt-4o-mini",
      "  keyturn confirm-revoked provider-key/gpt-4o-mini",
      "",
      "Exit codes: 0 sent; 1 the rotation is not waiting for it (or not running); 2 usage."
    })
public final class ConfirmRevokedCommand extends TemporalCommand {
  @Parameters(
      index = "0",
      paramLabel = "ROTATION",
      description = "provider-key/<model group>, or just the model group.")
  String given;

  @Override
  protected String workflowId() {
    return ProviderRotationRef.workflowId(given);
  }

  @Override
  protected int run(WorkflowClient client) {
    String id = workflowId();
    ProviderKeyRotationWorkflow wf = client.newWorkflowStub(ProviderKeyRotationWorkflow.class, id);
    ProviderKeyStatus s = wf.status();
    if (!s.awaitingRevokeConfirmation()) {
      throw CliFailure.failed(
          id
              + " is not waiting for a revoke confirmation (it is "
              + s.phase()
              + ": "
              + s.detail()
              + "); nothing sent.");
    }
    wf.confirmRevoked("keyturn confirm-revoked by " + cli.user());
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workflowId", id);
      o.put("signal", "confirmRevoked");
      Report.printJson(cli.out(), o);
    } else {
      cli.out().println("Confirmed: the old key of " + id + " is revoked; the rotation ends.");
    }
    return 0;
  }
}
