package io.keyturn.starter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * Runs the real {@link KeyturnCli} in-process, as a user would from a shell, and captures what it
 * printed: the one place tests build a CLI with captured streams.
 */
public final class CliRunner {

  /** What one command line did: its exit code and what it printed on stdout and stderr. */
  public record Run(int exit, String out, String err) {
    public String all() {
      return out + err;
    }
  }

  private final TemporalClients clients;
  private final KeyturnCli.Timing timing;
  private final Set<String> skipChecksOf;

  private CliRunner(TemporalClients clients, KeyturnCli.Timing timing, Set<String> skipChecksOf) {
    this.clients = clients;
    this.timing = timing;
    this.skipChecksOf = skipChecksOf;
  }

  /** A CLI that gets its Temporal clients from {@code clients}, with the default timing. */
  public static CliRunner with(TemporalClients clients) {
    return new CliRunner(clients, KeyturnCli.Timing.DEFAULT, Set.of());
  }

  /** The same CLI polling and querying with {@code timing}. */
  public CliRunner timing(KeyturnCli.Timing timing) {
    return new CliRunner(clients, timing, skipChecksOf);
  }

  /**
   * The same CLI with {@code --skip-checks} added to these commands: for tests whose gateways and
   * stores are made up (RotationPreflightTest checks the checks).
   */
  public CliRunner skippingChecksOf(String... commands) {
    return new CliRunner(clients, timing, Set.of(commands));
  }

  /** Runs {@code args} with {@code env}, nothing on stdin, not on a terminal. */
  public Run run(Map<String, String> env, String... args) {
    return run(env, "", false, Clock.systemUTC(), args);
  }

  /** Runs {@code args} with {@code env}, {@code stdin}, on a terminal or not, at {@code clock}. */
  public Run run(Map<String, String> env, String stdin, boolean tty, Clock clock, String... args) {
    if (args.length > 0 && skipChecksOf.contains(args[0])) {
      args = Arrays.copyOf(args, args.length + 1);
      args[args.length - 1] = "--skip-checks";
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    KeyturnCli cli =
        new KeyturnCli(
            clients,
            env,
            new KeyturnCli.Io(
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                tty),
            clock,
            timing);
    int exit = cli.execute(args);
    return new Run(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
