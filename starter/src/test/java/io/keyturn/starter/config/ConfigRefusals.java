package io.keyturn.starter.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

/** What {@link ConfigLoader} says when it refuses a keyturn.yaml, for the tests that expect it. */
public final class ConfigRefusals {
  private ConfigRefusals() {}

  /** The refusal of {@code path}; fails the test if it loads. */
  public static ConfigException refusal(Path path) {
    try {
      ConfigLoader.load(path);
    } catch (ConfigException e) {
      return e;
    }
    throw new AssertionError(path + " loaded, though it should have been refused");
  }

  /** The one problem {@code path} is refused for; fails the test if it has another or none. */
  public static ConfigProblem onlyProblem(Path path) {
    ConfigException e = refusal(path);
    assertThat(e.problems()).as(e.getMessage()).hasSize(1);
    return e.problems().get(0);
  }
}
