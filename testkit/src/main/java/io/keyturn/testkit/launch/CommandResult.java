package io.keyturn.testkit.launch;

/**
 * The outcome of a short command run to completion.
 *
 * @param exitCode the process's exit code
 * @param output stdout and stderr, interleaved as the process wrote them
 */
public record CommandResult(int exitCode, String output) {

  public CommandResult {
    output = output == null ? "" : output;
  }

  /** Whether the command exited with code 0. */
  public boolean succeeded() {
    return exitCode == 0;
  }
}
