package io.keyturn.starter.output;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * How wide the live progress line may be. Shells keep {@code COLUMNS} as a shell variable and do
 * not export it, so a Java process rarely sees it: on a terminal the terminal itself is asked
 * ({@code stty size < /dev/tty}), briefly; anything that fails falls back to 100 columns.
 */
public final class TerminalWidth {
  static final int FALLBACK = 100;

  /** How long the terminal may take to answer. */
  static final long PROBE_MILLIS = 500;

  private TerminalWidth() {}

  /**
   * @param env the environment; a positive {@code COLUMNS} wins
   * @param tty whether stderr is an interactive terminal (only then is the terminal asked)
   * @param stty what {@code stty size} printed ("rows columns"), or null when it could not run
   */
  public static int of(Map<String, String> env, boolean tty, Supplier<String> stty) {
    int columns = positive(env.get("COLUMNS"));
    if (columns > 0) {
      return columns;
    }
    if (tty) {
      columns = fromSttySize(stty.get());
      if (columns > 0) {
        return columns;
      }
    }
    return FALLBACK;
  }

  /** The columns of {@code stty size}'s "rows columns" answer, or -1 for anything else. */
  static int fromSttySize(String answer) {
    if (answer == null) {
      return -1;
    }
    String[] parts = answer.strip().split("\\s+");
    return parts.length == 2 && positive(parts[0]) > 0 ? positive(parts[1]) : -1;
  }

  private static int positive(String s) {
    if (s == null) {
      return -1;
    }
    try {
      int n = Integer.parseInt(s.strip());
      return n > 0 ? n : -1;
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Runs {@code stty size < /dev/tty}; null when there is no terminal, no stty, or no answer. */
  public static String sttySize() {
    Process p = null;
    try {
      p =
          new ProcessBuilder("sh", "-c", "stty size < /dev/tty")
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .redirectInput(ProcessBuilder.Redirect.INHERIT)
              .start();
      if (!p.waitFor(PROBE_MILLIS, TimeUnit.MILLISECONDS) || p.exitValue() != 0) {
        return null;
      }
      try (InputStream in = p.getInputStream()) {
        return new String(in.readNBytes(64), StandardCharsets.US_ASCII);
      }
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } finally {
      if (p != null && p.isAlive()) {
        p.destroyForcibly();
      }
    }
  }
}
