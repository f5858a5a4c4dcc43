package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.config.MasterKeySpec;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.MasterKeyRotationWorkflow;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.MasterKeyResult;
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

/** {@code keyturn rotate-master}: rotates a LiteLLM proxy's master key declared in keyturn.yaml. */
@Command(
    name = "rotate-master",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Rotates the master key (LITELLM_MASTER_KEY) of a LiteLLM proxy declared under masterKeys: in"
          + " keyturn.yaml, as the workflow master-key/<id>:",
      "  1. preflight: no provider-key rotation (provider-key/<group>) of the proxy runs, the key"
          + " in the first destination is the proxy's master key, the proxy is ready with its"
          + " database, every destination can be written; stored models and credentials are"
          + " counted. A failure here changes nothing (exit 1).",
      "  2. the worker derives the new key (it never leaves the worker, the proxy and the stores);",
      "  3. without a salt key (saltKey: false), the proxy re-encrypts its stored models and"
          + " credentials to the new key (/key/regenerate with new_master_key);",
      "  4. the new key is published to every destination;",
      "  5. the proxy is restarted (restart.mode: webhook, kubernetes, or manual: then run"
          + " `keyturn confirm-restart master-key/<id>` once every replica restarted);",
      "  6. verify: new key accepted, old refused, models and credentials as counted and healthy,"
          + " virtual keys still authenticate. If verify fails the rotation rolls back (re-encrypt"
          + " back, republish the old key, restart again) and says what state the proxy is in.",
      "",
      "Until the restart the proxy runs the old key: clients using the master key itself must"
          + " switch at the restart (there is no overlap). Virtual keys are not affected."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn validate -f keyturn.yaml",
      "  keyturn rotate-master -f keyturn.yaml --id prod --wait",
      "  keyturn master-status prod",
      "  keyturn confirm-restart master-key/prod        # restart.mode: manual",
      "",
      "Exit codes: 0 rotated (or started, without --wait); 1 failed or rolled back, or a rotation"
          + " of this proxy is already running; 2 invalid keyturn.yaml or options, nothing sent."
    })
public final class RotateMasterCommand extends TemporalCommand {
  @Mixin ConfigFileOption config;

  @Option(
      names = "--id",
      required = true,
      paramLabel = "ID",
      description = "The masterKeys: entry to rotate.")
  String masterId;

  @Option(names = "--wait", description = "Follow the rotation until it ends.")
  boolean await;

  private MasterKeySpec spec;

  @Override
  protected boolean startsRotations() {
    return true;
  }

  @Override
  protected String workflowId() {
    return MasterKeyRequest.WORKFLOW_PREFIX + masterId;
  }

  @Override
  protected void prepare() {
    List<MasterKeySpec> all;
    try {
      all = io.keyturn.starter.config.ConfigLoader.loadMasterKeys(config.file);
    } catch (io.keyturn.starter.config.ConfigException e) {
      throw ConfigFiles.invalid(config.file, e.problems(), global.json(), cli.out());
    }
    spec = all.stream().filter(m -> m.id().equals(masterId)).findFirst().orElse(null);
    if (spec == null) {
      throw new CliFailure(
          CliFailure.USAGE,
          config.file
              + " declares no masterKeys: entry '"
              + masterId
              + "'"
              + (all.isEmpty()
                  ? ": add one (see `keyturn schema`, $defs.masterKey)."
                  : "; it declares: "
                      + String.join(", ", all.stream().map(MasterKeySpec::id).toList())));
    }
  }

  @Override
  protected int run(WorkflowClient client) {
    String id = workflowId();
    MasterKeyRotationWorkflow wf =
        client.newWorkflowStub(
            MasterKeyRotationWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
                .build());
    try {
      WorkflowClient.start(wf::rotate, spec.request("keyturn rotate-master by " + cli.user()));
    } catch (RuntimeException e) {
      if (RotationFailures.alreadyStarted(e)) {
        throw CliFailure.failed(
            "a master-key rotation of '"
                + masterId
                + "' is already running ("
                + id
                + "): follow it with `keyturn master-status "
                + masterId
                + "`");
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
        cli.out().println("Started " + id + ". Follow it: keyturn master-status " + masterId);
        cli.out().println(uiLink(id));
      }
      return 0;
    }
    return follow(client, id, wf);
  }

  private int follow(WorkflowClient client, String id, MasterKeyRotationWorkflow wf) {
    CompletableFuture<MasterKeyResult> result =
        client.newUntypedWorkflowStub(id).getResultAsync(MasterKeyResult.class);
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
          o.put("oldKey", r.oldKey());
          o.put("newKey", r.newKey());
          o.put("storedModels", r.storedModels());
          o.put("credentials", r.credentials());
          o.put("summary", r.summary());
          return o;
        },
        MasterKeyResult::summary,
        "keyturn master-status " + masterId);
  }
}
