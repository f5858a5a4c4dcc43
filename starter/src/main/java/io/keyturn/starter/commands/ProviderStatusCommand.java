package io.keyturn.starter.commands;

import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.ProviderKeyRotationWorkflow;
import io.keyturn.workflows.model.ProviderKeyStatus;
import io.temporal.client.WorkflowClient;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keyturn provider-status}: where a provider-key rotation is and what it waits for. */
@Command(
    name = "provider-status",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {
      "Shows a provider-key rotation: its phase, which deployments serve the model group, the new"
          + " key's fingerprint, and what it waits for (a key until its deadline, or your"
          + " confirmation that the old key is revoked)."
    },
    footer = {"", "Exit codes: 0 shown; 1 no such rotation; 2 usage."})
public final class ProviderStatusCommand extends TemporalCommand {
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
    ProviderKeyStatus s = client.newWorkflowStub(ProviderKeyRotationWorkflow.class, id).status();
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workflowId", id);
      o.put("phase", s.phase().name());
      o.put("detail", s.detail());
      o.put("modelGroup", s.modelGroup());
      o.put("oldDeployments", s.oldDeployments());
      o.put("newDeployment", s.newDeployment());
      o.put("newKey", s.newKey());
      o.put("awaitingKey", s.awaitingKey());
      o.put("keyDeadline", s.keyDeadline());
      o.put("awaitingRevokeConfirmation", s.awaitingRevokeConfirmation());
      Report.printJson(cli.out(), o);
    } else {
      cli.out().println(id + "  " + s.phase());
      cli.out().println("  " + s.detail());
      cli.out().println("  old deployment(s): " + s.oldDeployments());
      cli.out()
          .println("  new deployment:    " + (s.newDeployment() == null ? "-" : s.newDeployment()));
      cli.out().println("  new key:           " + (s.newKey() == null ? "-" : s.newKey()));
      if (s.awaitingKey()) {
        cli.out()
            .println("  waiting for: keyturn provide " + id + " (before " + s.keyDeadline() + ")");
      }
      if (s.awaitingRevokeConfirmation()) {
        cli.out().println("  waiting for: keyturn confirm-revoked " + id);
      }
    }
    return 0;
  }
}
