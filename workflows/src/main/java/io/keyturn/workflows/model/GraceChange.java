package io.keyturn.workflows.model;

import java.time.Duration;
import java.time.Instant;

/**
 * An operator's change to a running grace period ({@code keyturn extend-grace}): either later by
 * {@code amount} ({@link Kind#EXTEND_BY}), or ending {@code amount} from now ({@link Kind#ENDS_IN},
 * which may shorten or lengthen it). The amount is always positive: ending the grace period now is
 * {@code revoke-now}'s job. The rotation checks the change against its own clock and bound ({@link
 * #problem}) before accepting it, so a bad change is refused with nothing changed.
 *
 * <p>Not checked in the constructor: a refused change must reach the rotation's validator to be
 * refused there with its reason, whoever sent it.
 *
 * @param kind how {@code amount} moves the end of the grace period
 * @param amount how much later, or how long from now; positive
 * @param requestedBy who asked, for the audit trail
 */
public record GraceChange(Kind kind, Duration amount, String requestedBy) {

  /** How a change moves the end of the grace period. */
  public enum Kind {
    /** The grace period ends {@code amount} later than it would have. */
    EXTEND_BY,
    /** The grace period ends {@code amount} from now: shorter or longer than before. */
    ENDS_IN
  }

  /** The latest a grace period may end: {@link RotationRequest#MAX_GRACE} after the publish. */
  public static Instant latestEnd(Instant graceStarted) {
    return graceStarted.plus(RotationRequest.MAX_GRACE);
  }

  /** When the grace period would end with this change applied at {@code now}. */
  public Instant newEnd(Instant now, Instant currentEnd) {
    return kind == Kind.ENDS_IN ? now.plus(amount) : currentEnd.plus(amount);
  }

  /**
   * Why this change cannot be made to a grace period that started at {@code graceStarted} and ends
   * at {@code currentEnd}, at {@code now}; null when it can.
   */
  public String problem(Instant now, Instant graceStarted, Instant currentEnd) {
    if (kind == null || amount == null) {
      return "say how the grace period changes: a duration to extend it by, or --ends-in DURATION";
    }
    if (amount.isNegative() || amount.isZero()) {
      return "the change must be positive, got "
          + (amount.isNegative() ? "-" + Durations.format(amount.negated()) : "0s")
          + ": to shorten the grace period use --ends-in DURATION (from now); to end it now use"
          + " `keyturn revoke-now`";
    }
    Instant latest = latestEnd(graceStarted);
    Instant end;
    try {
      end = newEnd(now, currentEnd);
    } catch (ArithmeticException | java.time.DateTimeException e) {
      end = Instant.MAX;
    }
    if (end.isAfter(latest)) {
      return "the grace period would end at "
          + (end.equals(Instant.MAX) ? "a time too far away to name" : end)
          + ", past the bound: at most "
          + RotationRequest.MAX_GRACE.toDays()
          + " days after the new key was published, so no later than "
          + latest
          + " (it ends at "
          + currentEnd
          + " now)";
    }
    return null;
  }

  /** How the change reads in messages, e.g. {@code extended by 2d} or {@code set to end in 2h}. */
  public String describe() {
    String d = amount == null ? "?" : Durations.format(amount);
    return kind == Kind.ENDS_IN ? "set to end in " + d : "extended by " + d;
  }
}
