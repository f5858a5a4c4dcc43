package io.keyturn.starter;

import io.keyturn.starter.commands.ApplyCommand;
import io.keyturn.starter.commands.DriftCommand;
import io.keyturn.starter.commands.ExtendGraceCommand;
import io.keyturn.starter.commands.FleetStatusCommand;
import io.keyturn.starter.commands.GatewayCommand;
import io.keyturn.starter.commands.HistoryCommand;
import io.keyturn.starter.commands.KeyringCommand;
import io.keyturn.starter.commands.LeakedCommand;
import io.keyturn.starter.commands.ListCommand;
import io.keyturn.starter.commands.OrphansCommand;
import io.keyturn.starter.commands.PauseCommand;
import io.keyturn.starter.commands.PlanCommand;
import io.keyturn.starter.commands.RevokeNowCommand;
import io.keyturn.starter.commands.RollbackCommand;
import io.keyturn.starter.commands.RotateCommand;
import io.keyturn.starter.commands.RotateFleetCommand;
import io.keyturn.starter.commands.RotateNowCommand;
import io.keyturn.starter.commands.SchemaCommand;
import io.keyturn.starter.commands.StatusCommand;
import io.keyturn.starter.commands.ValidateCommand;
import io.keyturn.starter.commands.WaitCommand;
import io.keyturn.starter.output.Report;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code keyturn} command: starts, inspects and signals key rotations. It talks to Temporal
 * only; the worker does the rotating. Everything the commands touch from outside (the Temporal
 * client, the environment, stdin, stdout, stderr, the clock) comes in through the constructor, so
 * tests run it in-process against an in-memory Temporal.
 */
@Command(
    name = "keyturn",
    mixinStandardHelpOptions = true,
    versionProvider = KeyturnCli.Version.class,
    sortOptions = false,
    usageHelpAutoWidth = true,
    subcommands = {
      RotateCommand.class,
      LeakedCommand.class,
      KeyringCommand.class,
      StatusCommand.class,
      WaitCommand.class,
      RevokeNowCommand.class,
      RollbackCommand.class,
      ExtendGraceCommand.class,
      GatewayCommand.class,
      ValidateCommand.class,
      PlanCommand.class,
      ApplyCommand.class,
      ListCommand.class,
      HistoryCommand.class,
      PauseCommand.Pause.class,
      PauseCommand.Unpause.class,
      RotateNowCommand.class,
      RotateFleetCommand.class,
      FleetStatusCommand.class,
      SchemaCommand.class,
      io.keyturn.starter.commands.RotateMasterCommand.class,
      io.keyturn.starter.commands.ConfirmRestartCommand.class,
      io.keyturn.starter.commands.MasterStatusCommand.class,
      io.keyturn.starter.commands.RotateOperatorCommand.class,
      io.keyturn.starter.commands.RotateProviderCommand.class,
      io.keyturn.starter.commands.ProvideCommand.class,
      io.keyturn.starter.commands.ConfirmRevokedCommand.class,
      io.keyturn.starter.commands.ProviderStatusCommand.class,
      io.keyturn.starter.commands.RollbackProviderCommand.class,
      SchemaCommand.Completion.class,
      OrphansCommand.class,
      DriftCommand.class,
      HelpCommand.class
    },
    description = {
      "Rotates LiteLLM proxy virtual keys through durable Temporal workflows: mint a new key with"
          + " the old key's policy, verify it, publish it to the secret stores its users read (Vault,"
          + " AWS Secrets Manager, Kubernetes Secrets, files), keep the old key valid for a"
          + " grace period, then revoke it.",
      "",
      "This command only starts, inspects and signals rotations; a running keyturn worker does"
          + " the work. Key values are never printed: keys appear as fingerprints"
          + " (sk-...ab12 #1a2b3c4d).",
      "",
      "Temporal stores rotation payloads encrypted with the payload key the CLI shares with the"
          + " worker: set KEYTURN_PAYLOAD_KEY or KEYTURN_PAYLOAD_KEY_FILE for every command that"
          + " talks to Temporal. Commands that hand a key to the worker seal it to the worker's"
          + " public key: set KEYTURN_WORKER_PUBLIC_KEY or _FILE (`keyturn keyring public`). The"
          + " CLI never holds the worker's keyring: see docs/security.md.",
      "",
      "Rotating on a schedule: declare secrets in keyturn.yaml (`keyturn schema`), then"
          + " `keyturn plan` and `keyturn apply` keep one Temporal Schedule, keyturn/<id>, per"
          + " secret."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  export TEMPORAL_ADDRESS=127.0.0.1:7233 KEYTURN_PAYLOAD_KEY_FILE=~/.keyturn/payload.key",
      "  export KEYTURN_WORKER_PUBLIC_KEY_FILE=~/.keyturn/worker.pub",
      "  keyturn rotate --secret-id billing-api --key-file ./billing-api.key --wait",
      "  keyturn status rotation/billing-api",
      "  keyturn revoke-now rotation/billing-api --reason leaked",
      "  keyturn extend-grace billing-api 48h",
      "  keyturn rollback billing-api --reason \"client X rejects the new key\"",
      "  keyturn gateway check --gateway https://litellm.example.com",
      "",
      "  # scheduled rotation, from a file",
      "  keyturn validate -f keyturn.yaml",
      "  keyturn plan -f keyturn.yaml",
      "  keyturn apply -f keyturn.yaml",
      "  keyturn list",
      "  keyturn history billing-api",
      "  keyturn rotate-now billing-api",
      "  keyturn pause billing-api --reason 'gateway migration'",
      "  keyturn rotate-fleet --selector team=payments --canary 1 --concurrency 5 --wait",
      "  keyturn leaked billing-api -f keyturn.yaml --wait    # a leaked key: block, replace",
      "  source <(keyturn completion)",
      "  keyturn help rotate",
      "",
      "Exit codes: 0 ok, 1 the rotation failed or Temporal could not be used, 2 bad usage or an"
          + " invalid keyturn.yaml."
    })
public final class KeyturnCli implements Runnable {

  /** What the terminal looks like to the commands. */
  public record Io(InputStream in, PrintStream out, PrintStream err, boolean tty) {
    public Io {
      Objects.requireNonNull(in, "in");
      Objects.requireNonNull(out, "out");
      Objects.requireNonNull(err, "err");
    }
  }

  /**
   * How often --wait polls, and how long a status query may take before the CLI shows what Temporal
   * alone knows.
   */
  public record Timing(Duration pollEvery, Duration queryTimeout) {
    public static final Timing DEFAULT = new Timing(Duration.ofSeconds(1), Duration.ofSeconds(10));

    public Timing {
      Objects.requireNonNull(pollEvery, "pollEvery");
      Objects.requireNonNull(queryTimeout, "queryTimeout");
    }
  }

  private final TemporalClients clients;
  private final Map<String, String> env;
  private final Io io;
  private final PrintWriter out;
  private final PrintWriter err;
  private final Clock clock;
  private final Timing timing;

  @Spec CommandSpec spec;

  /**
   * @param clients where Temporal clients come from
   * @param env the environment (TEMPORAL_*, KEYTURN_*, LITELLM_URL and --key-env variables)
   * @param io stdin, stdout, stderr, and whether stderr is an interactive terminal
   * @param clock the clock for default generations and grace countdowns
   * @param timing how often --wait asks the workflow for its status, and how long to wait for it
   */
  public KeyturnCli(
      TemporalClients clients, Map<String, String> env, Io io, Clock clock, Timing timing) {
    this.clients = Objects.requireNonNull(clients, "clients");
    this.env = Map.copyOf(env);
    this.io = Objects.requireNonNull(io, "io");
    this.out = new PrintWriter(io.out(), true, StandardCharsets.UTF_8);
    this.err = new PrintWriter(io.err(), true, StandardCharsets.UTF_8);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.timing = Objects.requireNonNull(timing, "timing");
  }

  public static void main(String[] args) {
    KeyturnCli cli =
        new KeyturnCli(
            TemporalClients.grpc(),
            System.getenv(),
            new Io(System.in, System.out, System.err, System.console() != null),
            Clock.systemUTC(),
            Timing.DEFAULT);
    System.exit(cli.execute(args));
  }

  /** Runs one command line and returns its exit code: 0 ok, 1 failure, 2 usage error. */
  public int execute(String... args) {
    CommandLine cl = new CommandLine(this);
    cl.setOut(out);
    cl.setErr(err);
    cl.setParameterExceptionHandler(this::usageError);
    cl.setExecutionExceptionHandler(
        (e, commandLine, parseResult) -> failure(e, commandLine.getCommandSpec()));
    try {
      return cl.execute(args);
    } finally {
      out.flush();
      err.flush();
    }
  }

  /** {@code keyturn} alone: a command is missing. */
  @Override
  public void run() {
    throw new ParameterException(
        spec.commandLine(),
        "missing command: choose one of rotate, status, wait, revoke-now, gateway, validate,"
            + " plan, apply, list, history, pause, unpause, rotate-now, rotate-fleet, fleet-status,"
            + " schema, completion, orphans, drift");
  }

  private int usageError(ParameterException e, String[] args) {
    CommandLine cl = e.getCommandLine();
    String name = cl.getCommandSpec().qualifiedName();
    if (Arrays.asList(args).contains("--json")) {
      printJsonError(name, e.getMessage(), CliFailure.USAGE);
    }
    err.println(name + ": " + e.getMessage());
    UnmatchedArgumentException.printSuggestions(e, err);
    err.println("Run '" + name + " --help' for the options and examples.");
    return CliFailure.USAGE;
  }

  private int failure(Exception e, CommandSpec where) {
    String name = where.qualifiedName();
    boolean json = wantsJson(where);
    if (e instanceof CliFailure f) {
      if (json && !f.printedAsJson()) {
        printJsonError(name, f.getMessage(), f.exitCode());
      }
      err.println(name + ": " + f.getMessage());
      return f.exitCode();
    }
    if (json) {
      printJsonError(name, "unexpected error: " + e, CliFailure.FAILED);
    }
    // Not expected: say what it was; the stack trace only on request, as it is noise to most.
    err.println(name + ": unexpected error: " + e);
    if (env.containsKey("KEYTURN_DEBUG")) {
      e.printStackTrace(err);
    } else {
      err.println("Set KEYTURN_DEBUG=1 to see the stack trace.");
    }
    return CliFailure.FAILED;
  }

  /** Whether this command line asked for --json (on the command or the global options). */
  private static boolean wantsJson(CommandSpec where) {
    var parsed = where.commandLine().getParseResult();
    return parsed != null && parsed.hasMatchedOption("--json");
  }

  /**
   * A failure under --json: one object on stdout, as validate prints its problems, so a script
   * reading stdout always gets JSON; the text still goes to stderr and the exit code is unchanged.
   */
  private void printJsonError(String command, String message, int exitCode) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("ok", false);
    o.put("command", command);
    o.put("exitCode", exitCode);
    o.put("error", message);
    Report.printJson(out, o);
  }

  TemporalClients clients() {
    return clients;
  }

  public Map<String, String> env() {
    return env;
  }

  public Io io() {
    return io;
  }

  public PrintWriter out() {
    return out;
  }

  public PrintWriter err() {
    return err;
  }

  public Clock clock() {
    return clock;
  }

  public Timing timing() {
    return timing;
  }

  /** Who started a rotation, for the workflow's audit trail. */
  public String user() {
    String u = env.getOrDefault("USER", env.getOrDefault("LOGNAME", ""));
    return u.isBlank() ? System.getProperty("user.name", "unknown") : u;
  }

  /** The version baked in at build time. */
  static final class Version implements IVersionProvider {
    @Override
    public String[] getVersion() {
      Properties p = new Properties();
      try (InputStream in = KeyturnCli.class.getResourceAsStream("version.properties")) {
        if (in != null) {
          p.load(in);
        }
      } catch (IOException e) {
        // fall through to "unknown"
      }
      return new String[] {
        "keyturn " + p.getProperty("version", "unknown"),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vendor", "?") + ")"
      };
    }
  }
}
