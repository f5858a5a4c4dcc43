package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.config.ConfigException;
import io.keyturn.starter.config.ConfigLoader;
import io.keyturn.starter.config.MasterKeySpec;
import io.keyturn.starter.config.ProviderKeySpec;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.ProviderKeyRotationWorkflow;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.ProviderKeyResult;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn rotate-provider}: rotates the provider key behind a model group. */
@Command(
    name = "rotate-provider",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    // The description lists the providers: see RotateProviderHelp.
    resourceBundle = "io.keyturn.starter.commands.RotateProviderHelp",
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn rotate-provider -f keyturn.yaml openai-chat --wait",
      "  keyturn provider-status provider-key/gpt-4o-mini",
      "  keyturn provide provider-key/gpt-4o-mini --key-file new.key     # provider: manual",
      "  keyturn confirm-revoked provider-key/gpt-4o-mini",
      "",
      "Exit codes: 0 rotated (or started, without --wait); 1 failed or rolled back, or a rotation"
          + " of this model group already runs; 2 invalid keyturn.yaml or options, nothing sent."
    })
public final class RotateProviderCommand extends TemporalCommand {
  @Mixin ConfigFileOption config;

  @Parameters(index = "0", paramLabel = "ID", description = "The providerKeys: entry to rotate.")
  String entryId;

  @Option(names = "--wait", description = "Follow the rotation until it ends.")
  boolean await;

  private ProviderKeySpec spec;
  private List<String> masterKeyWorkflows = List.of();

  @Override
  protected boolean startsRotations() {
    return true;
  }

  @Override
  protected String workflowId() {
    return spec == null ? "provider-key/?" : spec.workflowId();
  }

  @Override
  protected void prepare() {
    Map.Entry<List<ProviderKeySpec>, List<MasterKeySpec>> both;
    try {
      both = ConfigLoader.loadProviderAndMasterKeys(config.file);
    } catch (ConfigException e) {
      throw ConfigFiles.invalid(config.file, e.problems(), global.json(), cli.out());
    }
    List<ProviderKeySpec> all = both.getKey();
    spec = all.stream().filter(p -> p.id().equals(entryId)).findFirst().orElse(null);
    if (spec == null) {
      throw new CliFailure(
          CliFailure.USAGE,
          config.file
              + " declares no providerKeys: entry '"
              + entryId
              + "'"
              + (all.isEmpty()
                  ? ": add one (see `keyturn schema`, $defs.providerKey)."
                  : "; it declares: "
                      + String.join(", ", all.stream().map(ProviderKeySpec::id).toList())));
    }
    masterKeyWorkflows =
        both.getValue().stream()
            .filter(m -> m.gateway().equals(spec.gateway()))
            .map(m -> MasterKeyRequest.WORKFLOW_PREFIX + m.id())
            .toList();
  }

  @Override
  protected int run(WorkflowClient client) {
    String id = workflowId();
    ProviderKeyRotationWorkflow wf =
        client.newWorkflowStub(
            ProviderKeyRotationWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
                .build());
    try {
      WorkflowClient.start(
          wf::rotate, spec.request("keyturn rotate-provider by " + cli.user()), masterKeyWorkflows);
    } catch (RuntimeException e) {
      if (RotationFailures.alreadyStarted(e)) {
        throw CliFailure.failed(
            "a provider-key rotation of model group '"
                + spec.modelGroup()
                + "' is already running ("
                + id
                + "): follow it with `keyturn provider-status "
                + id
                + "`; nothing was started.");
      }
      throw e;
    }
    if (!await) {
      if (global.json()) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("workflowId", id);
        o.put("started", true);
        o.put("ui", uiLink(id));
        Report.printJson(cli.out(), o);
      } else {
        cli.out().println("Started " + id + ". Follow it: keyturn provider-status " + id);
        if (spec.waitsForKey()) {
          cli.out().println("Then hand it the new key: keyturn provide " + id + " --key-file F");
        }
        cli.out().println(uiLink(id));
      }
      return 0;
    }
    return follow(client, id, wf);
  }

  private int follow(WorkflowClient client, String id, ProviderKeyRotationWorkflow wf) {
    CompletableFuture<ProviderKeyResult> result =
        client.newUntypedWorkflowStub(id).getResultAsync(ProviderKeyResult.class);
    return WorkflowFollower.follow(
        cli.out(),
        cli.err(),
        global.json(),
        id,
        result,
        () -> {
          var s = wf.status();
          return s.phase() + ": " + s.detail();
        },
        r -> {
          Map<String, Object> o = new LinkedHashMap<>();
          o.put("modelGroup", r.modelGroup());
          o.put("newDeployment", r.newDeployment());
          o.put("newKey", r.newKey());
          o.put("removedDeployments", r.removedDeployments());
          o.put("summary", r.summary());
          return o;
        },
        ProviderKeyResult::summary,
        "keyturn provider-status " + id);
  }
}
