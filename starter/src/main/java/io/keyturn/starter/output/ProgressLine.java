package io.keyturn.starter.output;

import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationStatus;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The progress of a rotation on stderr. On a terminal one line is rewritten in place (with a grace
 * countdown); anywhere else, such as a CI log, one line is printed per phase so the log stays
 * readable.
 */
public final class ProgressLine {
  private final PrintWriter err;
  private final boolean tty;
  private final Clock clock;
  private final String workflowId;
  private final int width;
  private RotationPhase lastPhase;
  private String lastNote;
  private int shown;

  public ProgressLine(PrintWriter err, boolean tty, Clock clock, String workflowId, int width) {
    this.err = err;
    this.tty = tty;
    this.clock = clock;
    this.workflowId = workflowId;
    this.width = Math.max(40, width);
  }

  void show(RotationStatus s) {
    if (s == null || s.phase() == null) {
      return;
    }
    if (tty) {
      rewrite(line(s, true));
    } else if (s.phase() != lastPhase) {
      err.println(line(s, false));
    }
    lastPhase = s.phase();
    lastNote = null;
  }

  /** A remark between phases, such as "no worker answers"; printed once per change. */
  public void note(String text) {
    if (text.equals(lastNote)) {
      return;
    }
    lastNote = text;
    if (tty) {
      rewrite(text);
    } else {
      err.println(text);
    }
  }

  /** Ends the in-place line so what follows starts on a fresh one. */
  public void end() {
    if (tty && shown > 0) {
      err.println();
      shown = 0;
    }
    err.flush();
  }

  private void rewrite(String text) {
    if (text.length() > width - 1) {
      text = text.substring(0, width - 2) + "…";
    }
    StringBuilder b = new StringBuilder("\r").append(text);
    for (int i = text.length(); i < shown; i++) {
      b.append(' ');
    }
    err.print(b);
    err.flush();
    shown = text.length();
  }

  String line(RotationStatus s, boolean countdown) {
    String phase = String.format("%-11s", s.phase().name());
    if (s.phase() == RotationPhase.IN_GRACE && s.graceEndsAt() != null) {
      String left = remaining(s.graceEndsAt());
      return phase
          + " new key "
          + orUnknown(s.newKey())
          + " live in "
          + orUnknown(s.publishedTo())
          + "; old key "
          + orUnknown(s.oldKey())
          + " revoked "
          + (countdown ? "in " + left : "at " + s.graceEndsAt() + " (in " + left + ")")
          + (s.revokeNowRequested() ? " (revoke-now requested)" : "")
          + (countdown ? "" : ". End it early: keyturn revoke-now " + workflowId);
    }
    return phase + " " + orUnknown(s.message());
  }

  private String remaining(String isoInstant) {
    try {
      Duration d = Duration.between(clock.instant(), Instant.parse(isoInstant));
      return Durations.format(d);
    } catch (DateTimeParseException e) {
      return "?";
    }
  }

  private static String orUnknown(String s) {
    return s == null ? "?" : s;
  }
}
