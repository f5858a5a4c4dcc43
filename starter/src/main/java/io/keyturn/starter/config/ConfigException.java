package io.keyturn.starter.config;

import java.util.List;
import java.util.stream.Collectors;

/** A configuration that cannot be used, with every problem found in it. */
public final class ConfigException extends RuntimeException {
  private final List<ConfigProblem> problems;

  public ConfigException(List<ConfigProblem> problems) {
    super(
        problems.size()
            + " problem"
            + (problems.size() == 1 ? "" : "s")
            + " in the configuration:\n"
            + problems.stream().map(p -> "  - " + p).collect(Collectors.joining("\n")),
        null,
        false,
        false);
    this.problems = List.copyOf(problems);
  }

  public List<ConfigProblem> problems() {
    return problems;
  }
}
