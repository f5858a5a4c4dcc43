package io.keyturn.starter.commands;

import io.keyturn.starter.checks.OnlineChecks;
import io.keyturn.starter.config.ConfigException;
import io.keyturn.starter.config.ConfigLoader;
import io.keyturn.starter.config.ConfigProblem;
import io.keyturn.starter.config.MasterKeySpec;
import io.keyturn.starter.config.ProviderKeySpec;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.starter.output.Colour;
import io.keyturn.starter.schedules.SchedulePlan;
import io.keyturn.starter.schedules.SchedulePlan.Action;
import io.keyturn.starter.schedules.SchedulePlan.Change;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** What plan and apply share: the file, --prune, and how a plan is shown. */
abstract class ReconcileCommand extends ScheduleCommand {
  @Mixin ConfigFileOption config;

  @Option(
      names = "--prune",
      description =
          "Delete the schedules of secrets no longer in the file. Without it they are left in"
              + " place and reported. Keys are never deleted, either way.")
  boolean prune;

  @Option(
      names = "--skip-checks",
      description =
          "Do not check from here that each gateway and destination answers and that each"
              + " management key is accepted with the routes a rotation needs, nor (apply) that a"
              + " worker answers holding this CLI's public key and payload key (for a machine that"
              + " cannot reach them; the worker still checks every destination before minting).")
  boolean skipChecks;

  List<SecretSpec> specs;

  /** The file's {@code masterKeys:}; those with a {@code schedule:} get one. */
  List<MasterKeySpec> masterKeys;

  /** The file's {@code providerKeys:}; those with a {@code schedule:} get one. */
  List<ProviderKeySpec> providerKeys;

  @Override
  protected void prepare() {
    specs = ConfigFiles.load(config.file, global.json(), cli.out());
    try {
      var both = ConfigLoader.loadProviderAndMasterKeys(config.file);
      providerKeys = both.getKey();
      masterKeys = both.getValue();
    } catch (ConfigException e) {
      throw ConfigFiles.invalid(config.file, e.problems(), global.json(), cli.out());
    }
    if (!skipChecks) {
      List<ConfigProblem> problems = new OnlineChecks(cli.env(), Duration.ofSeconds(10)).run(specs);
      if (!problems.isEmpty()) {
        throw ConfigFiles.invalid(config.file, problems, global.json(), cli.out());
      }
    }
  }

  void printPlan(PrintWriter out, SchedulePlan plan, boolean done) {
    for (Change c : plan.changes()) {
      String detail =
          c.action() == Action.UPDATE
              ? "changed: " + String.join(", ", c.fields()) + " (now " + c.detail() + ")"
              : c.detail();
      String word = done ? pastTense(c.action()) : c.action().word;
      Colour colour = Colour.forTerminal(cli.io().tty(), cli.env(), global.json());
      String line =
          String.format("%s %-10s %-28s %s", c.action().sign, word, c.scheduleId(), detail);
      out.println(
          "  "
              + switch (c.action()) {
                case CREATE, UNPAUSE -> colour.green(line);
                case UPDATE, PAUSE, KEEP -> colour.yellow(line);
                case DELETE, CONFLICT -> colour.red(line);
                default -> line;
              });
    }
    Map<String, Integer> n = plan.summary();
    out.println(
        n.get("create")
            + (done ? " created, " : " to create, ")
            + n.get("update")
            + (done ? " updated, " : " to update, ")
            + (n.get("pause") + n.get("unpause"))
            + (done ? " paused or unpaused, " : " to pause or unpause, ")
            + n.get("delete")
            + (done ? " deleted, " : " to delete, ")
            + n.get("unchanged")
            + " unchanged"
            + (n.get("keep") > 0 ? ", " + n.get("keep") + " left in place (not in the file)" : "")
            + (n.get("conflict") > 0 ? ", " + n.get("conflict") + " in conflict" : "")
            + ".");
  }

  private static String pastTense(Action a) {
    return switch (a) {
      case CREATE -> "created";
      case UPDATE -> "updated";
      case PAUSE -> "paused";
      case UNPAUSE -> "unpaused";
      case DELETE -> "deleted";
      case KEEP -> "kept";
      default -> a.word;
    };
  }

  Map<String, Object> planJson(SchedulePlan plan, boolean applied) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("file", config.file.toString());
    o.put("namespace", connection.namespace());
    o.put("address", connection.address());
    o.put("prune", prune);
    o.put("applied", applied);
    o.put("hasChanges", plan.hasChanges());
    o.put(
        "changes",
        plan.changes().stream()
            .map(
                c -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("secretId", c.secretId());
                  m.put("scheduleId", c.scheduleId());
                  m.put("action", c.action().word);
                  m.put("fields", c.fields());
                  m.put("detail", c.detail());
                  return m;
                })
            .toList());
    o.put("summary", plan.summary());
    return o;
  }

  String header() {
    return config.file
        + " -> namespace '"
        + connection.namespace()
        + "' at "
        + connection.address();
  }
}
