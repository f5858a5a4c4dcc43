package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.checks.RotationPreflight;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.output.RotationView;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.crypto.WorkerPublicKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.SealedSecret;
import io.keyturn.workflows.store.StoreSetting;
import io.keyturn.workflows.store.StoreType;
import io.keyturn.workflows.store.StoreTypes;
import io.keyturn.workflows.store.VaultKv2Config;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn rotate}: starts one rotation of one key. */
@Command(
    name = "rotate",
    // The --to help is made from the store types: see RotateHelp.
    resourceBundle = "io.keyturn.starter.commands.RotateHelp",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Starts the rotation of one LiteLLM virtual key and returns (or follows it with --wait).",
      "",
      "The worker mints a new key with the old key's policy (models, budgets, limits, metadata),"
          + " verifies it, publishes it to every destination (--to, or the Vault KV v2 secret the"
          + " --vault-* options name), keeps the old key valid for the grace"
          + " period so applications can pick up the new one, then revokes the old key. If the new"
          + " key cannot be verified or published, it is deleted and the old key is left working.",
      "",
      "The old key's value is read from an environment variable, a file or stdin, never from the"
          + " command line; with --key-from-destination the worker reads the key the primary"
          + " destination holds (the previous rotation's). Only its hash goes to Temporal, and the value sealed to the worker's"
          + " public key (KEYTURN_WORKER_PUBLIC_KEY or _FILE), so only the worker can open it, to"
          + " prove after revoking that the proxy refuses it. Before starting, the CLI asks the"
          + " worker for its keys and refuses if that public key or the payload key is not the"
          + " worker's.",
      "",
      "The workflow id is rotation/<secret-id>, the same for every rotation of a secret, so"
          + " Temporal refuses a second rotation while one runs (exit 1, naming it), whoever"
          + " started it: this command, a schedule or a fleet. Running the same command again"
          + " (after a lost answer, say) finds the rotation it started and follows it instead."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  # the key in a file; follow until done (grace: 24h by default)",
      "  keyturn rotate --secret-id billing-api --key-file billing.key --wait",
      "",
      "  # from a password manager; 30 minutes of grace; a named Vault path",
      "  pass show llm/billing | keyturn rotate --secret-id billing-api \\",
      "      --key-stdin --grace 30m --vault-prefix teams/billing/ --vault-name key",
      "",
      "  # only the token hash is known (from /key/list); another proxy",
      "  keyturn rotate --secret-id batch --key-hash 3f9a...e1 \\",
      "      --gateway https://llm.internal",
      "",
      "  # rotate again: replace the key the previous rotation published to Vault",
      "  keyturn rotate --secret-id billing-api --key-from-destination --grace 1h",
      "",
      "  # in a script: one JSON object; exit 0 only if the rotation completed",
      "  keyturn rotate --secret-id billing-api --key-env BILLING_KEY \\",
      "      --grace 1h --wait --json",
      "",
      "Then: keyturn status ID, keyturn wait ID, keyturn revoke-now ID."
    })
public final class RotateCommand extends RotationStartCommand {
  public static final String DEFAULT_GATEWAY = "http://127.0.0.1:4000";

  @Option(
      names = "--secret-id",
      required = true,
      paramLabel = "ID",
      description =
          "The managed secret: letters, digits, '.', '_', '-'. Names the workflow, the new key's"
              + " alias (keyturn-<ID>-g<generation>) and, by default, the Vault secret.")
  String secretId;

  @ArgGroup(exclusive = true, multiplicity = "1", heading = "%nThe key to replace (exactly one):%n")
  OldKeySource oldKey;

  @Option(
      names = "--gateway",
      paramLabel = "URL",
      description = "The LiteLLM proxy (default: $LITELLM_URL, else " + DEFAULT_GATEWAY + ").")
  String gateway;

  @Option(
      names = "--generation",
      paramLabel = "N",
      description =
          "The rotation number of this secret, part of the new key's alias (default: the current"
              + " UTC time as yyyyMMddHHmmss).")
  Long generation;

  @Option(
      names = "--grace",
      paramLabel = "DURATION",
      defaultValue = "24h",
      converter = GracePeriods.class,
      description =
          "How long the old key keeps working after the new key is published: 30s, 10m, 24h, 7d,"
              + " 2w, 1h30m or ISO-8601 (PT36H); at most 90 days (default: ${DEFAULT-VALUE}).")
  Duration grace;

  @ArgGroup(exclusive = false, heading = "%nWhere the new key is published (Vault KV v2):%n")
  VaultOptions vault = new VaultOptions();

  @Option(names = "--to", paramLabel = "TYPE:SETTINGS", descriptionKey = RotateHelp.TO)
  List<String> to = new ArrayList<>();

  @Option(
      names = "--skip-checks",
      description =
          "Start without checking first that the rotation can succeed. By default the CLI checks,"
              + " before starting anything, that the gateway answers and has the key to replace"
              + " (with $LITELLM_MASTER_KEY_FILE or $LITELLM_MASTER_KEY when set, else with the key"
              + " itself; a key given by hash alone needs the management key), and asks the worker"
              + " to check every destination with its credentials. For a machine that cannot reach"
              + " the gateway; the worker still checks every destination before minting.")
  boolean skipChecks;

  @Option(names = "--wait", description = WAIT_HELP)
  boolean await;

  @Option(
      names = "--emergency",
      description =
          "The key to replace has LEAKED: block it at the proxy first (before anything is minted),"
              + " then mint, verify and publish as usual, and delete it right after publish (no"
              + " grace; --grace is refused). A routine rotation of the secret that is running is"
              + " cancelled and waited for first. Same as `keyturn leaked ID -f keyturn.yaml` for a"
              + " declared secret; see `keyturn leaked --help`.")
  boolean emergency;

  static final class VaultOptions {
    @Option(
        names = "--vault-mount",
        paramLabel = "MOUNT",
        description = "KV v2 mount (default: " + VaultKv2Config.DEFAULT_MOUNT + ").")
    String mount;

    @Option(
        names = "--vault-prefix",
        paramLabel = "PREFIX",
        description = "Path below the mount (default: " + VaultKv2Config.DEFAULT_PATH_PREFIX + ").")
    String prefix;

    @Option(
        names = "--vault-name",
        paramLabel = "NAME",
        description = "Secret name (default: the secret id).")
    String name;

    @Option(
        names = "--vault-namespace",
        paramLabel = "NS",
        description = "Vault Enterprise / OpenBao namespace (default: none).")
    String namespace;

    @Option(
        names = "--vault-field",
        paramLabel = "FIELD",
        description =
            "Field of the secret that holds the key (default: "
                + VaultKv2Config.DEFAULT_FIELD
                + ").")
    String field;

    /**
     * The shorthand's vault-kv2 destination; the secret is named after {@code secretId} unless
     * told.
     */
    Destination destination(String secretId) {
      // Only what was given: the store type owns the defaults.
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("name", name == null ? secretId : name);
      put(settings, "mount", mount);
      put(settings, "pathPrefix", prefix);
      put(settings, "field", field);
      put(settings, "namespace", namespace);
      Destination d = new Destination(VaultKv2Config.TYPE, settings);
      StoreTypes.validate(d);
      return d;
    }

    private static void put(Map<String, String> settings, String name, String value) {
      if (value != null) {
        settings.put(name, value);
      }
    }
  }

  private boolean sealed;

  /** The old key's value for the checks before starting (null for --key-hash); never printed. */
  private String oldKeyValue;

  @Override
  protected void prepare() {
    String gatewayUrl = gateway;
    if (gatewayUrl == null || gatewayUrl.isBlank()) {
      gatewayUrl = cli.env().getOrDefault("LITELLM_URL", "");
    }
    if (gatewayUrl.isBlank()) {
      gatewayUrl = DEFAULT_GATEWAY;
    }
    long gen =
        generation != null ? generation : RotationRequest.generationAt(cli.clock().instant());
    RotationRequest.Builder builder;
    try {
      List<Destination> destinations = parseDestinations();
      builder =
          RotationRequest.builder(secretId)
              .generation(gen)
              .gatewayUrl(gatewayUrl)
              .gracePeriod(grace)
              .requestedBy(by())
              .destinations(
                  destinations.isEmpty() ? List.of(vault.destination(secretId)) : destinations);
      if (emergency) {
        if (spec.commandLine().getParseResult().hasMatchedOption("--grace")) {
          throw new IllegalArgumentException(
              "--grace does not go with --emergency: a leaked key is deleted as soon as the new"
                  + " key is published everywhere");
        }
        builder.gracePeriod(Duration.ZERO).emergency(true);
      }
      // Checks every other field before the key is read, so nobody types a key into a prompt
      // for a command that is going to be refused anyway. The placeholder hash is never sent.
      builder.oldKey(new KeyRef("0".repeat(64), null)).build();
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    if (oldKey.fromDestination) {
      // The worker reads the key the primary destination holds, as for a scheduled rotation.
      request = builder.oldKey(null).chainFromStore(true).build();
      return;
    }

    OldKeySource.OldKey key;
    try {
      key = oldKey.read(cli.env(), cli.io().in(), cli.io().tty(), cli.err()::println);
    } catch (OldKeySource.BadKeyInput e) {
      throw usage(e.getMessage());
    }
    SealedSecret sealedValue = key.value() == null ? null : seal(key.value());
    sealed = sealedValue != null;
    if (!sealed) {
      cli.err()
          .println(
              "note: started from a token hash: after revoking, the old key's rejection will be"
                  + " checked by /key/info only.");
    }
    request = builder.oldKey(key.ref(), sealedValue).build();
    oldKeyValue = key.value();
  }

  private String by() {
    return "keyturn-cli (" + cli.user() + ")";
  }

  /** The key to replace as this command knows it: its fingerprint, or where the worker reads it. */
  private String oldKeyText() {
    return request.oldKey() != null
        ? request.oldKey().fingerprint()
        : "the key " + request.destinations().get(0).describe() + " holds (read by the worker)";
  }

  /** {@code --to TYPE:k=v,k=v} options as destinations; empty when none was given. */
  private List<Destination> parseDestinations() {
    List<Destination> out = new ArrayList<>();
    for (String spec : to) {
      int colon = spec.indexOf(':');
      if (colon < 1) {
        throw new IllegalArgumentException(
            "--to '" + spec + "': write TYPE:key=value,... e.g. vault-kv2:name=billing-api");
      }
      Map<String, String> settings = new LinkedHashMap<>();
      String rest = spec.substring(colon + 1);
      for (String pair : rest.isEmpty() ? new String[0] : rest.split(",")) {
        int eq = pair.indexOf('=');
        if (eq < 1) {
          throw new IllegalArgumentException(
              "--to '" + spec + "': '" + pair + "' is not key=value");
        }
        settings.put(pair.substring(0, eq).strip(), pair.substring(eq + 1).strip());
      }
      StoreType<?> type = StoreTypes.get(spec.substring(0, colon));
      for (StoreSetting setting : type.settings()) {
        if (setting.kind() == StoreSetting.Kind.PATH && settings.get(setting.name()) != null) {
          // The worker may run elsewhere: send the path as this shell means it.
          settings.put(
              setting.name(),
              java.nio.file.Path.of(settings.get(setting.name())).toAbsolutePath().toString());
        }
      }
      Destination d = new Destination(type.name(), settings);
      try {
        StoreTypes.validate(d);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("--to '" + spec + "': " + e.getMessage(), e);
      }
      if (out.contains(d)) {
        throw new IllegalArgumentException("--to '" + spec + "' is given twice");
      }
      out.add(d);
    }
    return out;
  }

  /** Seals the old key to the worker's public key: the CLI can seal it, never open it. */
  private SealedSecret seal(String value) {
    try {
      return WorkerPublicKey.fromEnvironment(cli.env()).seal(value);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
  }

  /** Memo naming what was asked, so a repeated command can tell its own rotation from another. */
  static final String START_TOKEN = "keyturn-start-token";

  /**
   * What this command asks for, without when: the secret, proxy, key to replace, destinations,
   * grace and policy. The same command run again has the same token.
   */
  private String startToken() {
    String what =
        String.join(
            "|",
            request.secretId(),
            request.gatewayUrl(),
            request.oldKey() == null ? "" : request.oldKey().tokenHash(),
            canonical(request.destinations()),
            String.valueOf(request.gracePeriod()),
            canonical(request.policy() == null ? null : request.policy().fields()));
    try {
      return java.util.HexFormat.of()
          .formatHex(
              java.security.MessageDigest.getInstance("SHA-256")
                  .digest(what.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static final com.fasterxml.jackson.databind.ObjectMapper CANONICAL =
      new com.fasterxml.jackson.databind.ObjectMapper()
          .configure(
              com.fasterxml.jackson.databind.SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS, true);

  /** JSON with map keys sorted: the same value in any JVM (Map.of iterates in a random order). */
  private static String canonical(Object value) {
    try {
      return CANONICAL.writeValueAsString(value);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The secret's latest rotation, when it is this same request and is running or completed (the
   * command is being run again, say after its answer was lost): follow or report it rather than
   * start another. Checked before starting, so that a run that completes between this command's
   * look and its start is not followed by a second one. Null otherwise: a failed or different
   * latest run does not stop a new one. With --key-from-destination only a running one is followed:
   * once it completed, the destination holds a newer key, which is what to replace.
   */
  private WorkflowExecution sameRequestAlready(WorkflowClient client, String id, String token) {
    io.temporal.client.WorkflowExecutionDescription last;
    try {
      last = client.newUntypedWorkflowStub(id).describe();
    } catch (io.temporal.client.WorkflowNotFoundException e) {
      return null;
    }
    var status = last.getStatus();
    boolean running =
        status
            == io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    boolean completed =
        status
            == io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED;
    if (request.chainFromStore() && !running) {
      return null;
    }
    if (!(running || completed)
        || !token.equals(last.getMemo(START_TOKEN, String.class, String.class))) {
      return null;
    }
    if (!global.json()) {
      cli.err()
          .println(
              "keyturn: "
                  + id
                  + (running
                      ? " is already running this same rotation (started " + last.getStartTime()
                      : " already completed this same rotation (closed " + last.getCloseTime())
                  + "); following it instead of starting another.");
    }
    return last.getExecution();
  }

  /** Another rotation of the secret is running: nothing is started, and the failure names it. */
  private CliFailure anotherIsRunning(WorkflowClient client, String id) {
    return CliFailure.failed(
        "a rotation of "
            + request.secretId()
            + " is already running: "
            + id
            + " (started "
            + client.newUntypedWorkflowStub(id).describe().getStartTime()
            + "). One secret is never rotated twice at once, so nothing was started. Follow it"
            + " with `keyturn wait "
            + id
            + "`, or end its grace period early with `keyturn revoke-now "
            + id
            + " --reason TEXT`.");
  }

  @Override
  protected int run(WorkflowClient client) {
    if (emergency) {
      return runEmergency(client);
    }
    String id = request.workflowId();
    String token = startToken();
    WorkflowOptions options =
        WorkflowOptions.newBuilder()
            .setWorkflowId(id)
            .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
            // Closed runs do not block a new rotation; a running one does (conflict: fail).
            .setWorkflowIdReusePolicy(
                WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
            .setMemo(Map.of(START_TOKEN, token))
            // The UI's summary column: fingerprints and places only, never a value.
            .setStaticSummary(
                "Rotate "
                    + request.secretId()
                    + " g"
                    + request.generation()
                    + ": replace "
                    + oldKeyText()
                    + ", publish to "
                    + String.join(
                        ", ", request.destinations().stream().map(Destination::describe).toList())
                    + ", grace "
                    + Durations.format(request.gracePeriod()))
            .setStaticDetails(
                "Started by "
                    + request.requestedBy()
                    + " at "
                    + request.gatewayUrl()
                    + ". The old key is revoked only after the new key is verified and published"
                    + " everywhere, then the grace period.")
            .build();
    KeyRotationWorkflow wf = client.newWorkflowStub(KeyRotationWorkflow.class, options);
    WorkflowExecution started = sameRequestAlready(client, id, token);
    if (started == null) {
      if (!skipChecks) {
        RotationPreflight.rotate(client, request, oldKeyValue, cli.env(), cli.err());
      }
      try {
        started = WorkflowClient.start(wf::rotate, request);
      } catch (WorkflowExecutionAlreadyStarted e) {
        // Started by someone in between: follow it if it is this same request, else refuse.
        started = sameRequestAlready(client, id, token);
        if (started == null) {
          throw anotherIsRunning(client, id);
        }
      }
    }
    String ui = uiLink(id);
    PrintWriter out = cli.out();
    if (!global.json()) {
      printStarted(out, started.getRunId(), ui);
    }
    if (!await) {
      if (global.json()) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("workflowId", id);
        o.put("runId", started.getRunId());
        o.put("workflowStatus", RotationView.RUNNING);
        o.put("request", requestJson());
        o.put("ui", ui);
        Report.printJson(out, o);
      } else {
        out.println("Follow it:  keyturn wait " + id);
        out.println("Look at it: keyturn status " + id);
        out.println("End the grace period early: keyturn revoke-now " + id + " --reason TEXT");
      }
      return 0;
    }
    return awaitAndReport(client, id, Map.of("request", requestJson()));
  }

  /** {@code --emergency}: as {@code keyturn leaked}, with the key given as rotate takes it. */
  private int runEmergency(WorkflowClient client) {
    // A key given explicitly is meant; the key a destination holds may be the one a first
    // emergency run just published: refused then (keyturn leaked --again overrides).
    return startEmergency(client, skipChecks, oldKeyValue, cli.env(), false, await);
  }

  private void printStarted(PrintWriter out, String runId, String ui) {
    out.println("Started rotation " + request.workflowId());
    Report.row(out, "run id", runId);
    Report.row(out, "old key", oldKeyText() + (sealed ? " (value sealed for the worker)" : ""));
    Report.row(out, "new key", "alias " + request.newKeyAlias() + " (minted by the worker)");
    Report.row(
        out,
        "publish to",
        String.join(", ", request.destinations().stream().map(Destination::describe).toList()));
    Report.row(
        out,
        "grace",
        Durations.format(request.gracePeriod())
            + " (the old key keeps working this long after the new key is published)");
    Report.row(out, "gateway", request.gatewayUrl());
    Report.row(out, "ui", ui);
  }

  private Map<String, Object> requestJson() {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("secretId", request.secretId());
    o.put("generation", request.generation());
    o.put("gateway", request.gatewayUrl());
    if (request.oldKey() != null) {
      o.put("oldKey", request.oldKey().fingerprint());
      o.put("oldKeyHash", request.oldKey().tokenHash());
    } else {
      o.put("oldKeyFrom", request.destinations().get(0).describe());
    }
    o.put("oldKeySealed", sealed);
    o.put("newKeyAlias", request.newKeyAlias());
    o.put("destinations", request.destinations().stream().map(Destination::describe).toList());
    o.put("gracePeriod", request.gracePeriod().toString());
    return o;
  }
}
