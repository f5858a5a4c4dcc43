package io.keyturn.starter.commands;

import io.keyturn.starter.KeyturnCli;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.model.Durations;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code keyturn validate}: checks keyturn.yaml offline. */
@Command(
    name = "validate",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Checks keyturn.yaml against its schema and rules (unique ids, grace shorter than the"
          + " interval, a cron that fires, a real time zone) without reading a key or talking to"
          + " Temporal. Every problem is listed as file: field: message Fix: what to do."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn validate -f keyturn.yaml",
      "  keyturn validate -f config/ --json",
      "  keyturn schema > keyturn.schema.json   # for editor completion",
      "",
      "Exit codes: 0 valid, 2 invalid or bad usage."
    })
public final class ValidateCommand implements Callable<Integer> {
  @ParentCommand KeyturnCli cli;

  @Mixin ConfigFileOption config;

  @Option(names = "--json", description = "Print one JSON object on stdout instead of text.")
  boolean json;

  @Override
  public Integer call() {
    List<SecretSpec> specs = ConfigFiles.load(config.file, json, cli.out());
    List<io.keyturn.starter.config.MasterKeySpec> masters =
        io.keyturn.starter.config.ConfigLoader.loadMasterKeys(config.file);
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("file", config.file.toString());
      o.put("valid", true);
      o.put(
          "secrets",
          specs.stream()
              .map(
                  s -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("id", s.id());
                    m.put("schedule", s.schedule().describe());
                    m.put("grace", Durations.format(s.grace()));
                    m.put(
                        "destinations",
                        s.destinations().stream().map(SecretSpec.Destination::describe).toList());
                    return m;
                  })
              .toList());
      o.put(
          "masterKeys",
          masters.stream()
              .map(
                  m -> {
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("id", m.id());
                    e.put("saltKey", m.saltKey());
                    e.put("restart", m.restart().describe());
                    e.put(
                        "destinations",
                        m.destinations().stream()
                            .map(io.keyturn.workflows.model.Destination::describe)
                            .toList());
                    return e;
                  })
              .toList());
      Report.printJson(cli.out(), o);
    } else {
      cli.out()
          .println(
              config.file
                  + " is valid: "
                  + specs.size()
                  + " secret(s)"
                  + (masters.isEmpty() ? "." : ", " + masters.size() + " master key(s)."));
      for (io.keyturn.starter.config.MasterKeySpec m : masters) {
        cli.out()
            .println(
                String.format(
                    "  %-24s master key; saltKey %s; restart %s -> %s",
                    m.id(),
                    m.saltKey(),
                    m.restart().describe(),
                    String.join(
                        ", ",
                        m.destinations().stream()
                            .map(io.keyturn.workflows.model.Destination::describe)
                            .toList())));
      }
      for (SecretSpec s : specs) {
        cli.out()
            .println(
                String.format(
                    "  %-24s %s; grace %s -> %s",
                    s.id(),
                    s.schedule().describe(),
                    Durations.format(s.grace()),
                    String.join(
                        ", ",
                        s.destinations().stream().map(SecretSpec.Destination::describe).toList())));
      }
    }
    return 0;
  }
}
