package io.keyturn.starter.commands;

import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.GatewayCheck;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.starter.CliFailure;
import io.keyturn.starter.KeyturnCli;
import io.keyturn.starter.checks.GatewayAdvice;
import io.keyturn.starter.checks.ManagementKey;
import io.keyturn.starter.output.Colour;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.crypto.SecretFiles;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code keyturn gateway}: commands about a LiteLLM proxy itself. */
@Command(
    name = "gateway",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    subcommands = {GatewayCommand.Check.class, HelpCommand.class},
    description = "Commands about a LiteLLM proxy (the gateway Keyturn rotates keys at).")
public final class GatewayCommand implements Runnable {
  @ParentCommand KeyturnCli cli;

  @Spec CommandSpec spec;

  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "missing command: check");
  }

  /** {@code keyturn gateway check}. */
  @Command(
      name = "check",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      usageHelpAutoWidth = true,
      description = {
        "Checks a LiteLLM gateway and a management key before you rotate with them, and says"
            + " exactly what to fix:",
        "  1. /health/readiness answers and its database is connected;",
        "  2. the proxy accepts the management key (/key/info tells who it is);",
        "  3. the key may mint a key for another user, which only a proxy_admin may: a probe key,"
            + " blocked and expiring in 10 minutes;",
        "  4. it may read and delete that probe (/key/info, /key/delete).",
        "",
        "The management key is read from a file or an environment variable, never from the"
            + " command line, and never printed."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  export LITELLM_MASTER_KEY_FILE=~/.keyturn/litellm-management.key",
        "  keyturn gateway check --gateway https://litellm.example.com",
        "  keyturn gateway check --management-key-env ROTATOR_KEY --json | jq .missingRoutes",
        "",
        "Exit codes: 0 ready for rotations, 1 not ready (the output says why), 2 bad usage."
      })
  static final class Check implements Callable<Integer> {
    @ParentCommand GatewayCommand parent;

    @Spec CommandSpec spec;

    @Option(
        names = "--gateway",
        paramLabel = "URL",
        description =
            "The proxy's base URL (default: $LITELLM_URL, else http://127.0.0.1:4000, the demo's"
                + " emulator).")
    String gateway;

    @Option(
        names = "--management-key-file",
        paramLabel = "FILE",
        description =
            "A file holding the management key (default: $LITELLM_MASTER_KEY_FILE, else"
                + " $LITELLM_MASTER_KEY).")
    Path keyFile;

    @Option(
        names = "--management-key-env",
        paramLabel = "NAME",
        description = "An environment variable holding the management key.")
    String keyEnv;

    @Option(
        names = "--timeout",
        paramLabel = "DURATION",
        defaultValue = "10s",
        description = "How long to wait for each answer (default: ${DEFAULT-VALUE}).")
    String timeout;

    @Option(names = "--json", description = "Print one JSON object on stdout instead of text.")
    boolean json;

    @Override
    public Integer call() {
      KeyturnCli cli = parent.cli;
      String url = gatewayUrl(cli);
      Duration perCall = parseTimeout();
      String key = managementKey(cli);
      GatewayCheck.Report report;
      try (JsonHttp http = new JsonHttp(perCall)) {
        report = new GatewayCheck(new LiteLlmClient(http, () -> key)).run(url);
      }
      String place = keyPlace();
      if (json) {
        Report.printJson(cli.out(), GatewayAdvice.toMap(report, place));
      } else {
        print(cli, report, place);
      }
      return report.ok() ? 0 : CliFailure.FAILED;
    }

    /** Where the key was read from, as a fix should name it (null: the default variables). */
    private String keyPlace() {
      if (keyFile != null) {
        return "the file " + keyFile + " (--management-key-file)";
      }
      if (keyEnv != null) {
        return "$" + keyEnv + " (--management-key-env)";
      }
      return null;
    }

    private static void print(KeyturnCli cli, GatewayCheck.Report r, String place) {
      var out = cli.out();
      Colour colour = Colour.forTerminal(cli.io().tty(), cli.env(), false);
      out.println("LiteLLM gateway " + r.gateway() + ", management key: " + r.identity());
      for (GatewayCheck.Step s : r.steps()) {
        String mark =
            switch (s.status()) {
              case OK -> colour.green("ok  ");
              case WARN -> colour.yellow("warn");
              case FAIL -> colour.red("FAIL");
              case SKIPPED -> "skip";
            };
        out.printf("  %s  %-24s %s%n", mark, s.name(), s.detail());
      }
      if (!r.missingRoutes().isEmpty()) {
        out.println("Missing routes: " + String.join(", ", r.missingRoutes()));
      }
      if (r.diagnosis() != null) {
        out.println("Diagnosis: " + r.diagnosis());
      }
      if (r.fix() != null) {
        out.println((r.ok() ? "Suggestion: " : "Fix: ") + GatewayAdvice.fix(r.fix(), place));
      }
      out.println(
          r.ok()
              ? "Ready: this gateway and key can do everything a rotation needs."
              : "NOT ready: a rotation with this gateway and key would fail.");
    }

    private String gatewayUrl(KeyturnCli cli) {
      String url = gateway;
      if (url == null || url.isBlank()) {
        url = cli.env().getOrDefault("LITELLM_URL", "http://127.0.0.1:4000");
      }
      url = url.strip().replaceAll("/+$", "");
      try {
        URI u = new URI(url);
        if (!("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
            || u.getHost() == null) {
          throw new URISyntaxException(url, "not http(s)://host[:port]");
        }
      } catch (URISyntaxException e) {
        throw usage(
            "--gateway '"
                + url
                + "' is not a URL like https://litellm.example.com or http://127.0.0.1:4000");
      }
      return url;
    }

    private Duration parseTimeout() {
      try {
        Duration d = GracePeriods.parse(timeout);
        if (d.isZero() || d.isNegative()) {
          throw new IllegalArgumentException("must be positive");
        }
        return d;
      } catch (IllegalArgumentException e) {
        throw usage("--timeout '" + timeout + "': " + e.getMessage() + " (e.g. 10s, 1m)");
      }
    }

    private String managementKey(KeyturnCli cli) {
      if (keyFile != null) {
        return readKeyFile(keyFile, "--management-key-file");
      }
      if (keyEnv != null) {
        String v = cli.env().get(keyEnv);
        if (v == null || v.isBlank()) {
          throw usage("--management-key-env " + keyEnv + ": that variable is not set or empty");
        }
        return v.strip();
      }
      ManagementKey found;
      try {
        found = ManagementKey.fromEnvironment(cli.env());
      } catch (IllegalStateException e) {
        throw usage(e.getMessage());
      }
      if (found != null) {
        return found.value();
      }
      throw usage(
          "no management key: set LITELLM_MASTER_KEY_FILE (a file holding it) or"
              + " LITELLM_MASTER_KEY, or pass --management-key-file FILE");
    }

    private String readKeyFile(Path p, String where) {
      try {
        return SecretFiles.read(p, where);
      } catch (IllegalArgumentException e) {
        throw usage(e.getMessage());
      }
    }

    private ParameterException usage(String message) {
      return new ParameterException(spec.commandLine(), message);
    }
  }
}
