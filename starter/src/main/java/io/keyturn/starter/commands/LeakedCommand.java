package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.starter.schedules.ScheduledRotations;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.client.WorkflowClient;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code keyturn leaked}: the emergency rotation of a secret declared in keyturn.yaml. */
@Command(
    name = "leaked",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Emergency rotation of a leaked key: the secret's current key (the one its primary"
          + " destination holds, else the declared currentKey) is BLOCKED at the proxy first, so it"
          + " stops working in seconds; then a new key is minted with its policy, verified and"
          + " published to every destination, and the leaked key is deleted right after, with no"
          + " grace period. Applications that still use the leaked key are refused from the block"
          + " on, until they read the new key.",
      "",
      "Nothing is blocked when the input is wrong: a secret not declared in the file, a key the"
          + " gateway does not have, or a destination the worker cannot write is refused first"
          + " (exit 2). If verify or publish fails after the block, the new key is cleaned up as"
          + " usual but the leaked key stays BLOCKED (Keyturn never unblocks it): fix what failed"
          + " and run this again.",
      "",
      "A routine rotation of the secret that is running is cancelled and waited for first (it"
          + " deletes its own new key, or, past publish, its old key: an emergency does not honour"
          + " grace); an emergency rotation already running is followed. Both run as"
          + " rotation/<id>, so Temporal refuses any other rotation of the secret meanwhile.",
      "",
      "The summary (and --json) says who asked, when the leaked key was blocked and how long"
          + " it took until the new key was published everywhere. For a key that is not declared"
          + " in keyturn.yaml, use `keyturn rotate --emergency` with the options of rotate."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  # billing-api's key was pasted in a public repository",
      "  keyturn leaked billing-api -f keyturn.yaml --wait",
      "",
      "  # in a script: one JSON object, with result.emergency.windowMillis",
      "  keyturn leaked billing-api -f keyturn.yaml --wait --json",
      "",
      "  # a key not declared in keyturn.yaml",
      "  keyturn rotate --emergency --secret-id batch --key-file leaked.key --wait",
      "",
      "Exit codes: 0 started (with --wait: completed), 1 it failed (with --wait), or Temporal"
          + " could not be used, 2 bad input (not declared, invalid file, a check failed):"
          + " nothing was blocked."
    })
public final class LeakedCommand extends RotationStartCommand {
  @Parameters(
      index = "0",
      paramLabel = "ID",
      description = "The secret whose key leaked, as declared in keyturn.yaml.")
  String secretId;

  @Mixin ConfigFileOption config;

  @Option(
      names = "--skip-checks",
      description =
          "Start without the CLI's checks (gateway, key, destinations). The worker still checks"
              + " the destinations and reads the key's policy before it blocks anything.")
  boolean skipChecks;

  @Option(names = "--wait", description = WAIT_HELP)
  boolean await;

  @Option(
      names = "--again",
      description =
          "Run even though an emergency rotation of this secret completed in the last 15 minutes:"
              + " without it that is refused, since the key it would block is the one that"
              + " rotation just published (a command run twice). For when the new key leaked too.")
  boolean again;

  private SecretSpec spec;

  @Override
  protected void prepare() {
    List<SecretSpec> specs = ConfigFiles.load(config.file, global.json(), cli.out());
    spec = specs.stream().filter(s -> s.id().equals(secretId)).findFirst().orElse(null);
    if (spec == null) {
      throw new CliFailure(
          CliFailure.USAGE,
          "secret '"
              + secretId
              + "' is not declared in "
              + config.file
              + " (it declares: "
              + String.join(", ", specs.stream().map(SecretSpec::id).toList())
              + "). Nothing was blocked. Check the id and the file; for a key that is not"
              + " declared, use `keyturn rotate --emergency --secret-id ID --key-file FILE`.");
    }
    RotationRequest scheduled;
    try {
      scheduled = ScheduledRotations.request(spec, cli.env());
    } catch (ScheduledRotations.BadSpec e) {
      throw ConfigFiles.invalid(config.file, List.of(e.problem()), global.json(), cli.out());
    }
    request =
        scheduled.toBuilder()
            .generation(RotationRequest.generationAt(cli.clock().instant()))
            .gracePeriod(Duration.ZERO)
            .requestedBy("keyturn leaked (" + cli.user() + ")")
            .emergency(true)
            .build();
  }

  /** The CLI's environment, with the secret's own management key for the checks when readable. */
  private Map<String, String> checkEnvironment() {
    Map<String, String> env = new HashMap<>(cli.env());
    try {
      String key = spec.managementKey().read(cli.env());
      env.remove("LITELLM_MASTER_KEY_FILE");
      env.put("LITELLM_MASTER_KEY", key);
    } catch (IllegalArgumentException e) {
      // The checks then use LITELLM_MASTER_KEY(_FILE), or say what they could not check.
    }
    return env;
  }

  @Override
  protected int run(WorkflowClient client) {
    return startEmergency(client, skipChecks, null, checkEnvironment(), again, await);
  }
}
