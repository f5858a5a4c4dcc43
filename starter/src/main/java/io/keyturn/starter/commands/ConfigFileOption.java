package io.keyturn.starter.commands;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The {@code -f/--file} option of validate, plan and apply: the keyturn.yaml they read. */
final class ConfigFileOption {
  @Option(
      names = {"-f", "--file"},
      required = true,
      paramLabel = "PATH",
      description = "keyturn.yaml, or a directory of *.yaml files whose secrets are merged.")
  Path file;
}
