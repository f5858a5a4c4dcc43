package io.keyturn.starter.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as the configuration writes them: {@code 30s}, {@code 24h}, {@code 30d}, {@code 1h30m}.
 */
public final class Durations {
  private static final Pattern SHORT = Pattern.compile("(?:\\d+[wdhms])+");
  private static final Pattern PART = Pattern.compile("(\\d+)([wdhms])");

  private Durations() {}

  /** Parses, or throws IllegalArgumentException naming the accepted forms. */
  public static Duration parse(String s) {
    if (s == null || !SHORT.matcher(s).matches()) {
      throw new IllegalArgumentException(
          "'" + s + "' is not a duration: use a number and a unit (30s, 10m, 24h, 30d, 2w, 1h30m)");
    }
    Duration d = Duration.ZERO;
    Matcher m = PART.matcher(s);
    while (m.find()) {
      long n = Long.parseLong(m.group(1));
      d =
          d.plus(
              switch (m.group(2)) {
                case "w" -> Duration.ofDays(7 * n);
                case "d" -> Duration.ofDays(n);
                case "h" -> Duration.ofHours(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofSeconds(n);
              });
    }
    return d;
  }

  /** Largest units first: {@code 1d2h}; {@code 0s} for zero. */
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
