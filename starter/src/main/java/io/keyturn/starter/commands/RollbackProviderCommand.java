package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.ProviderKeyRotationWorkflow;
import io.keyturn.workflows.model.ProviderKeyPhase;
import io.keyturn.workflows.model.ProviderKeyStatus;
import io.temporal.client.WorkflowClient;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code keyturn rollback-provider}: puts the old deployment back alone, during the overlap. */
@Command(
    name = "rollback-provider",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {
      "Rolls a provider-key rotation back while both deployments serve (phase OVERLAP, before the"
          + " old deployment is removed): the new deployment is deleted, the new key revoked at the"
          + " provider (a key a person made, provider manual: you are told to revoke it), the old"
          + " deployment keeps serving with the old key."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn provider-status provider-key/gpt-4o-mini",
      "  keyturn rollback-provider provider-key/gpt-4o-mini",
      "",
      "Exit codes: 0 sent; 1 the rotation is past the point of rollback (or not running),"
          + " nothing sent; 2 usage."
    })
public final class RollbackProviderCommand extends TemporalCommand {
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
    // A rotation through secret stores adds no deployment; it can go back until it revokes.
    boolean throughStores = s.newDeployment() == null && s.phase() == ProviderKeyPhase.IN_GRACE;
    if (s.phase() != ProviderKeyPhase.OVERLAP && !throughStores) {
      throw CliFailure.failed(
          id
              + " cannot be rolled back now (it is "
              + s.phase()
              + ": "
              + s.detail()
              + "); a rollback is possible while both deployments serve (OVERLAP), or, when the"
              + " proxy reads the key from a secret store, until the old key is revoked"
              + " (IN_GRACE). Nothing sent.");
    }
    wf.rollback("keyturn rollback-provider by " + cli.user());
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workflowId", id);
      o.put("signal", "rollback");
      Report.printJson(cli.out(), o);
    } else if (throughStores) {
      cli.out()
          .println(
              "Asked "
                  + id
                  + " to roll back: the store(s) get the old key back, and the new key "
                  + s.newKey()
                  + " is revoked once the proxy's secret cache has passed. Follow it: keyturn"
                  + " provider-status "
                  + id);
    } else {
      cli.out()
          .println(
              "Asked "
                  + id
                  + " to roll back: "
                  + s.newDeployment()
                  + " is deleted, the old deployment(s) "
                  + s.oldDeployments()
                  + " keep serving. Follow it: keyturn provider-status "
                  + id);
    }
    return 0;
  }
}
