package io.keyturn.starter.commands;

import io.keyturn.starter.KeyturnCli;
import io.keyturn.starter.config.ConfigLoader;
import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code keyturn schema}: the JSON Schema of keyturn.yaml. */
@Command(
    name = "schema",
    mixinStandardHelpOptions = true,
    usageHelpAutoWidth = true,
    description = {
      "Prints the JSON Schema (draft 2020-12) of keyturn.yaml, for editors and CI linters."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn schema > keyturn.schema.json",
      "  # VS Code / yaml-language-server: first line of keyturn.yaml",
      "  # yaml-language-server: $schema=./keyturn.schema.json",
      "",
      "Exit code: 0."
    })
public final class SchemaCommand implements Callable<Integer> {
  @ParentCommand KeyturnCli cli;

  @Override
  public Integer call() {
    cli.out().print(ConfigLoader.schemaText());
    cli.out().flush();
    return 0;
  }

  /** {@code keyturn completion}: a bash/zsh completion script. */
  @Command(
      name = "completion",
      mixinStandardHelpOptions = true,
      usageHelpAutoWidth = true,
      description = {
        "Prints a completion script for bash and zsh (zsh: after `autoload -U bashcompinit &&"
            + " bashcompinit`) covering every command and option."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  source <(keyturn completion)",
        "  keyturn completion > /etc/bash_completion.d/keyturn",
        "",
        "Exit code: 0."
      })
  public static final class Completion implements Callable<Integer> {
    @ParentCommand KeyturnCli cli;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      cli.out().print(AutoComplete.bash("keyturn", spec.root().commandLine()));
      cli.out().flush();
      return 0;
    }
  }
}
