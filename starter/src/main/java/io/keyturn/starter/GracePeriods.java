package io.keyturn.starter;

import io.keyturn.workflows.model.RotationRequest;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Grace periods as people type them: {@code 30s}, {@code 10m}, {@code 24h}, {@code 7d}, {@code 2w},
 * combinations such as {@code 1h30m}, or ISO-8601 ({@code PT36H}, {@code P7D}).
 */
final class GracePeriods implements ITypeConverter<Duration> {
  private static final Pattern SHORT = Pattern.compile("(?:\\d+[wdhms])+");
  private static final Pattern PART = Pattern.compile("(\\d+)([wdhms])");

  @Override
  public Duration convert(String value) {
    return parse(value);
  }

  /** Parses a grace period, or throws with a message that shows the accepted forms. */
  static Duration parse(String text) {
    String s = text == null ? "" : text.trim().toLowerCase(Locale.ROOT);
    Duration d;
    if (SHORT.matcher(s).matches()) {
      d = Duration.ZERO;
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
        throw tooLong(text);
      }
    } else if (s.startsWith("p")) {
      try {
        d = Duration.parse(s.toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw unreadable(text);
      }
    } else {
      throw unreadable(text);
    }
    if (d.isNegative()) {
      throw new TypeConversionException(
          "'" + text + "' is negative: a grace period is 0 or more (0s revokes right away)");
    }
    if (d.compareTo(RotationRequest.MAX_GRACE) > 0) {
      throw tooLong(text);
    }
    return d;
  }

  /** Formats a duration the way {@link #parse} reads it, largest units first: {@code 1d2h}. */
  static String format(Duration d) {
    return io.keyturn.starter.config.Durations.format(d);
  }

  private static TypeConversionException unreadable(String text) {
    return new TypeConversionException(
        "'"
            + text
            + "' is not a duration: use a number and a unit (30s, 10m, 24h, 7d, 2w, or 1h30m)"
            + " or ISO-8601 (PT36H, P7D)");
  }

  private static TypeConversionException tooLong(String text) {
    return new TypeConversionException(
        "'"
            + text
            + "' is longer than the "
            + RotationRequest.MAX_GRACE.toDays()
            + "-day maximum grace period");
  }
}
