package io.keyturn.testkit.litellm;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * LiteLLM's duration strings ({@code duration_in_seconds} in {@code
 * litellm/litellm_core_utils/duration_parser.py} of BerriAI/litellm): 30s, 30m, 30h, 30d, 2w, 1mo.
 */
final class LiteLlmDurations {
  private LiteLlmDurations() {}

  private static final Pattern DURATION = Pattern.compile("^(\\d+)(mo|[smhdw]?)$");

  /** {@code from} plus {@code duration}; the proxy's ValueError text when it cannot be read. */
  static Instant plus(Instant from, String duration) {
    Matcher m = DURATION.matcher(duration.trim());
    if (!m.find()) {
      // duration_in_seconds: digits with an unknown unit vs no number at all.
      throw new IllegalArgumentException(
          duration.trim().matches("^\\d+.*")
              ? "Unsupported duration unit, passed duration: " + duration
              : "Invalid duration format");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "s" -> from.plusSeconds(n);
      case "m" -> from.plus(Duration.ofMinutes(n));
      case "h" -> from.plus(Duration.ofHours(n));
      case "d" -> from.plus(Duration.ofDays(n));
      case "w" -> from.plus(Duration.ofDays(7 * n));
      case "mo" -> from.atZone(ZoneOffset.UTC).plusMonths(n).toInstant();
      default -> throw new IllegalArgumentException("Unsupported duration unit: " + duration);
    };
  }

  /** A budget duration: the words {@code hourly} ... {@code monthly} or a duration string. */
  static Instant plusBudget(Instant from, String budgetDuration) {
    String d =
        switch (budgetDuration) {
          case "hourly" -> "1h";
          case "daily" -> "1d";
          case "weekly" -> "7d";
          case "monthly" -> "1mo";
          default -> budgetDuration;
        };
    return plus(from, d);
  }
}
