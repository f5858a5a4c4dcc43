package io.keyturn.workflows.model;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them, on the command line and in keyturn.yaml alike: a number and a
 * unit ({@code 30s}, {@code 10m}, {@code 24h}, {@code 7d}, {@code 2w}), combinations ({@code
 * 1h30m}), or ISO-8601 ({@code PT36H}, {@code P7D}). The one parser and formatter Keyturn has.
 */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("(?:\\d+[wdhms])+");
  private static final Pattern PART = Pattern.compile("(\\d+)([wdhms])");

  /** The accepted forms, for messages. */
  public static final String FORMS = "30s, 10m, 24h, 7d, 2w, 1h30m, or ISO-8601 such as PT36H";

  /** What an absurdly long duration parses to: longer than every bound a caller has. */
  private static final Duration TOO_LONG = Duration.ofSeconds(Long.MAX_VALUE);

  private Durations() {}

  /**
   * Parses, or throws IllegalArgumentException naming the accepted forms. Surrounding blanks and
   * case do not matter; a negative ISO duration is returned as given (callers bound it).
   */
  public static Duration parse(String text) {
    String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    if (SHORT.matcher(s).matches()) {
      Duration d = Duration.ZERO;
      Matcher m = PART.matcher(s);
      try {
        while (m.find()) {
          long n = Long.parseLong(m.group(1));
          d =
              d.plus(
                  switch (m.group(2)) {
                    case "w" -> Duration.ofDays(Math.multiplyExact(n, 7));
                    case "d" -> Duration.ofDays(n);
                    case "h" -> Duration.ofHours(n);
                    case "m" -> Duration.ofMinutes(n);
                    default -> Duration.ofSeconds(n);
                  });
        }
      } catch (ArithmeticException | NumberFormatException e) {
        // Longer than anything can be: every caller bounds a duration, and says so.
        return TOO_LONG;
      }
      return d;
    }
    if (s.startsWith("p") || s.startsWith("-p")) {
      try {
        return Duration.parse(s.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        // fall through to the message naming the forms
      }
    }
    throw new IllegalArgumentException(
        "'" + text + "' is not a duration: use a number and a unit (" + FORMS + ")");
  }

  /** Largest units first, as {@link #parse} reads it back: {@code 1d2h}; {@code 0s} for zero. */
  public static String format(Duration d) {
    long seconds = d.toSeconds();
    if (seconds <= 0) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    long[] sizes = {86_400, 3_600, 60, 1};
    String[] units = {"d", "h", "m", "s"};
    for (int i = 0; i < sizes.length; i++) {
      long n = seconds / sizes[i];
      seconds %= sizes[i];
      if (n > 0) {
        b.append(n).append(units[i]);
      }
    }
    return b.toString();
  }
}
