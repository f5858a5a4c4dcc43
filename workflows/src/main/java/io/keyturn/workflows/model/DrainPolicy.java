package io.keyturn.workflows.model;

import java.time.Duration;
import java.util.Objects;

/**
 * When a rotation holds the revoke of an old key that is still carrying traffic (the drain gate, at
 * the end of the grace period). The proxy tells when a key was last used (LiteLLM's {@code
 * last_active}); a key used within {@code usedWithin} is held, rechecked every {@code
 * recheckEvery}, for at most {@code maxHold}; then {@code onLimit} decides. {@code keyturn
 * revoke-now} always releases a hold.
 *
 * @param usedWithin the old key counts as in use when it was last used this recently; {@link
 *     Duration#ZERO} turns the gate off ({@link #OFF})
 * @param recheckEvery how often a held revoke looks again (a durable timer)
 * @param maxHold how long a revoke may be held before {@code onLimit} applies
 * @param onLimit what happens when the old key is still in use after {@code maxHold}
 */
public record DrainPolicy(
    Duration usedWithin, Duration recheckEvery, Duration maxHold, OnLimit onLimit) {

  /** What a rotation does when its old key is still in use after the longest hold. */
  public enum OnLimit {
    /** Revoke anyway: the grace period and the hold were the clients' notice. */
    REVOKE,
    /** Keep holding (and rechecking) until the traffic stops or an operator runs revoke-now. */
    WAIT
  }

  /** The shortest recheck interval: LiteLLM writes {@code last_active} every 10-15 s. */
  public static final Duration MIN_RECHECK = Duration.ofSeconds(1);

  /** The longest hold a policy may ask for. */
  public static final Duration MAX_HOLD = Duration.ofDays(30);

  /**
   * The policy of a rotation that names none: a key used in the last 15 minutes is held, rechecked
   * every 5 minutes, for up to 24 hours, then revoked.
   */
  public static final DrainPolicy DEFAULT =
      new DrainPolicy(
          Duration.ofMinutes(15), Duration.ofMinutes(5), Duration.ofHours(24), OnLimit.REVOKE);

  /** No gate: the old key is revoked when grace ends, in use or not. */
  public static final DrainPolicy OFF =
      new DrainPolicy(Duration.ZERO, Duration.ofMinutes(5), Duration.ZERO, OnLimit.REVOKE);

  public DrainPolicy {
    Objects.requireNonNull(usedWithin, "usedWithin");
    Objects.requireNonNull(recheckEvery, "recheckEvery");
    Objects.requireNonNull(maxHold, "maxHold");
    onLimit = onLimit == null ? OnLimit.REVOKE : onLimit;
    if (usedWithin.isNegative()) {
      throw new IllegalArgumentException(
          "drain usedWithin must be 0 (off) or more, got " + Durations.format(usedWithin));
    }
    if (recheckEvery.compareTo(MIN_RECHECK) < 0) {
      throw new IllegalArgumentException(
          "drain recheckEvery must be at least 1s, got " + Durations.format(recheckEvery));
    }
    if (maxHold.isNegative() || maxHold.compareTo(MAX_HOLD) > 0) {
      throw new IllegalArgumentException(
          "drain maxHold must be between 0 and "
              + MAX_HOLD.toDays()
              + " days, got "
              + Durations.format(maxHold));
    }
  }

  /** Whether the gate looks at the old key's use at all. */
  public boolean enabled() {
    return !usedWithin.isZero();
  }

  /** In words, for plan and messages: {@code off}, or the window, recheck, limit and decision. */
  public String describe() {
    return enabled()
        ? "hold while used within "
            + Durations.format(usedWithin)
            + ", recheck every "
            + Durations.format(recheckEvery)
            + ", at most "
            + Durations.format(maxHold)
            + ", then "
            + onLimit.name().toLowerCase(java.util.Locale.ROOT)
        : "off";
  }
}
