package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.operator.OperatorRotationRequest;
import io.keyturn.workflows.operator.OperatorRotationStatus;
import io.keyturn.workflows.operator.OperatorRotationWorkflow;
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

/** {@code keyturn rotate-operator}: rotates a key the LiteLLM operator manages, through it. */
@Command(
    name = "rotate-operator",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Rotates the key of a secret declared with operator: {virtualKey: <namespace>/<name>} in"
          + " keyturn.yaml, the LiteLLM Kubernetes operator's way (blue/green with VirtualKey"
          + " objects), as the workflow operator-rotation/<id>:",
      "  1. the worker copies the current VirtualKey (same spec) under a versioned alias"
          + " (<alias>-g<N>, object <name>-g<N>), labelled app.kubernetes.io/managed-by: keyturn;",
      "  2. it waits until the operator reports the copy Ready and wrote its Secret, and verifies"
          + " the new key at the proxy (the key is read in the worker, never shown);",
      "  3. it publishes the new key to the secret's destinations;",
      "  4. after the grace period it deletes the old VirtualKey: the operator's finalizer deletes"
          + " the old key. Keyturn never revokes the key itself, so the operator never re-mints"
          + " the alias.",
      "",
      "A failure before anything is published deletes the copy and leaves the old key as it was."
          + " The worker needs Kubernetes access (in-cluster or KUBECONFIG) with get, list,"
          + " create, delete on virtualkeys.auth.litellm.ai and get on secrets."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn validate -f keyturn.yaml",
      "  keyturn rotate-operator -f keyturn.yaml --id billing-api --wait",
      "",
      "Exit codes: 0 rotated (or started, without --wait); 1 failed, or a rotation of this secret"
          + " is already running; 2 invalid keyturn.yaml or options (the secret has no operator:"
          + " entry), nothing sent."
    })
public final class RotateOperatorCommand extends TemporalCommand {
  /** Workflow ids: {@code operator-rotation/<secret id>}. */
  public static final String WORKFLOW_PREFIX = "operator-rotation/";

  @Mixin ConfigFileOption config;

  @Option(
      names = "--id",
      required = true,
      paramLabel = "ID",
      description = "The secret to rotate (it must have operator: in keyturn.yaml).")
  String secretId;

  @Option(names = "--wait", description = "Follow the rotation until it ends.")
  boolean await;

  private SecretSpec spec;

  @Override
  protected boolean startsRotations() {
    return true;
  }

  @Override
  protected String workflowId() {
    return WORKFLOW_PREFIX + secretId;
  }

  @Override
  protected void prepare() {
    List<SecretSpec> all;
    try {
      all = io.keyturn.starter.config.ConfigLoader.load(config.file);
    } catch (io.keyturn.starter.config.ConfigException e) {
      throw ConfigFiles.invalid(config.file, e.problems(), global.json(), cli.out());
    }
    spec = all.stream().filter(s -> s.id().equals(secretId)).findFirst().orElse(null);
    if (spec == null) {
      throw new CliFailure(
          CliFailure.USAGE,
          config.file
              + " declares no secret '"
              + secretId
              + "'; it declares: "
              + String.join(", ", all.stream().map(SecretSpec::id).toList()));
    }
    if (spec.operatorVirtualKey() == null) {
      throw new CliFailure(
          CliFailure.USAGE,
          "secret '"
              + secretId
              + "' in "
              + spec.file()
              + " has no operator: entry, so the LiteLLM operator does not manage its key as far"
              + " as keyturn.yaml says: rotate it with `keyturn rotate`, or add operator:"
              + " {virtualKey: <namespace>/<name>} if a VirtualKey manages it.");
    }
  }

  @Override
  protected int run(WorkflowClient client) {
    String id = workflowId();
    OperatorRotationWorkflow wf =
        client.newWorkflowStub(
            OperatorRotationWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(id)
                .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                .setWorkflowIdReusePolicy(
                    WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
                .build());
    OperatorRotationRequest req =
        new OperatorRotationRequest(
            spec.id(),
            spec.gatewayUrl(),
            spec.operatorVirtualKey(),
            spec.destinations().stream().map(SecretSpec.Destination::toDestination).toList(),
            spec.grace(),
            "keyturn rotate-operator by " + cli.user());
    try {
      WorkflowClient.start(wf::rotate, req);
    } catch (RuntimeException e) {
      if (RotationFailures.alreadyStarted(e)) {
        throw CliFailure.failed(
            "a rotation of '"
                + secretId
                + "' through the operator is already running ("
                + id
                + ")");
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
        cli.out().println("Started " + id + ".");
        cli.out().println(uiLink(id));
      }
      return 0;
    }
    CompletableFuture<OperatorRotationStatus> result =
        client.newUntypedWorkflowStub(id).getResultAsync(OperatorRotationStatus.class);
    return WorkflowFollower.follow(
        cli.out(),
        cli.err(),
        global.json(),
        id,
        result,
        () -> {
          var s = wf.status();
          return s.phase() + ": " + s.message();
        },
        r -> {
          Map<String, Object> o = new LinkedHashMap<>();
          o.put("virtualKey", r.copy());
          o.put("newKey", r.newKey());
          o.put("published", r.published());
          o.put("summary", r.message());
          return o;
        },
        OperatorRotationStatus::message,
        id);
  }
}
