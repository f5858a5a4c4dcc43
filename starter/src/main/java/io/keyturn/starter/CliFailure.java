package io.keyturn.starter;

/**
 * A failure the CLI reports as one message and an exit code, without a stack trace. Messages say
 * what went wrong, where, and what to do next; they never carry a key value.
 */
public final class CliFailure extends RuntimeException {
  /** The workflow failed, Temporal was unreachable, or the rotation was not found. */
  public static final int FAILED = 1;

  /** Bad input: picocli's own exit code for a usage error. */
  public static final int USAGE = 2;

  private final int exitCode;

  /** Whether the command already printed this failure as its --json object on stdout. */
  private final boolean printedAsJson;

  public CliFailure(int exitCode, String message) {
    this(exitCode, message, false);
  }

  public CliFailure(int exitCode, String message, boolean printedAsJson) {
    super(message, null, false, false);
    this.exitCode = exitCode;
    this.printedAsJson = printedAsJson;
  }

  public static CliFailure failed(String message) {
    return new CliFailure(FAILED, message);
  }

  public int exitCode() {
    return exitCode;
  }

  boolean printedAsJson() {
    return printedAsJson;
  }
}
