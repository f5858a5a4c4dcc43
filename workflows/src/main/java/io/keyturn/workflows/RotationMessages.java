package io.keyturn.workflows;

import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.DrainPolicy;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.KeyUse;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.failure.ApplicationFailure;
import java.util.List;

/**
 * The words a rotation says to operators: failure messages, undo outcomes and the UI's current
 * details. Each message is built here, once, and names keys by fingerprint or alias only.
 */
public final class RotationMessages {
  private RotationMessages() {}

  /**
   * The innermost cause's own message, without Temporal's wrapping: what the workflow, the fleet
   * and the CLI say a failed step failed with.
   */
  public static String rootMessage(Throwable t) {
    Throwable c = t;
    boolean timedOut = false;
    while (c.getCause() != null) {
      timedOut |=
          c instanceof io.temporal.failure.TimeoutFailure
              || (c instanceof io.temporal.failure.ActivityFailure af
                  && af.getRetryState() == io.temporal.api.enums.v1.RetryState.RETRY_STATE_TIMEOUT);
      c = c.getCause();
    }
    timedOut |= c instanceof io.temporal.failure.TimeoutFailure;
    String m = c instanceof ApplicationFailure af ? af.getOriginalMessage() : c.getMessage();
    // An attempt's "(…; retrying)" is no longer true once the step has given up.
    String last = m == null ? "" : RETRYING.matcher(m).replaceFirst("");
    return timedOut ? last + " (still failing when the step's time limit ran out)" : last;
  }

  private static final java.util.regex.Pattern RETRYING =
      java.util.regex.Pattern.compile("\\s*\\([^()]*retrying[^()]*\\)\\s*$");

  static String who(RotationRequest r) {
    return r.secretId() + " g" + r.generation();
  }

  /** "Rotation of billing-api g3", or just "Rotation" before the request is known. */
  private static String rotationOf(RotationRequest r) {
    return "Rotation" + (r == null || r.generation() == 0 ? "" : " of " + who(r));
  }

  /** "{@code what} of billing-api g3 failed while {@code doing}: the cause." */
  private static String failedWhile(String what, RotationRequest r, String doing, Throwable cause) {
    return what + " of " + who(r) + " failed while " + doing + ": " + sentence(rootMessage(cause));
  }

  private static String doing(RotationPhase phase) {
    return phase.name().toLowerCase();
  }

  /** The undo steps' outcomes as the next sentences, if any ran. */
  private static String then(String undone) {
    return undone.isEmpty() ? "" : " " + undone;
  }

  private static String reasonOrNone(String reason) {
    return reason == null || reason.isBlank() ? "no reason given" : reason;
  }

  /** A rotation that failed and whose undo steps ran: the old key still works. */
  static String rolledBack(
      RotationRequest r, RotationPhase failedAt, Throwable cause, String undone, KeyRef oldKey) {
    return failedWhile("Rotation", r, doing(failedAt), cause)
        + then(undone)
        + " The old key "
        + fingerprint(oldKey)
        + " was NOT revoked and still works.";
  }

  /** A rotation that failed with nothing of its own to undo (before minting, or while revoking). */
  static String failed(
      RotationRequest r, RotationPhase phase, Throwable cause, KeyRef oldKey, KeyRef newKey) {
    String tail =
        phase == RotationPhase.REVOKING
            ? " The new key "
                + fingerprint(newKey)
                + " is published; the old key "
                + fingerprint(oldKey)
                + " may still work: revoke it by hand."
            : " The old key " + fingerprint(oldKey) + " was NOT revoked.";
    return failedWhile("Rotation", r, doing(phase), cause) + tail;
  }

  static String newKeyDiscarded(boolean deleted, String alias) {
    return deleted
        ? "The new key (alias " + alias + ") was deleted."
        : "The new key (alias " + alias + ") was never created, or is already gone.";
  }

  static String couldNotDiscard(String alias, Throwable e) {
    return "COULD NOT delete the new key (alias "
        + alias
        + "): "
        + rootMessage(e)
        + ". Delete the key with that alias at the proxy by hand.";
  }

  static String couldNotRestore(Destination d, KeyRef newKey, KeyRef oldKey, Throwable e) {
    return "COULD NOT restore "
        + d.describe()
        + " ("
        + rootMessage(e)
        + "): it may hold the new key "
        + fingerprint(newKey)
        + ", which is being deleted; put the old key "
        + fingerprint(oldKey)
        + " back there by hand.";
  }

  static String inGrace(RotationRequest r, List<String> locations, String until) {
    return "new key published to "
        + String.join(", ", locations)
        + "; old key "
        + fingerprint(r.oldKey())
        + " stays valid until "
        + until;
  }

  static String completed(KeyRef newKey, List<String> locations, RevokeReceipt revoked) {
    return "done: "
        + fingerprint(newKey)
        + " is live in "
        + String.join(", ", locations)
        + "; "
        + fingerprint(revoked.key())
        + (revoked.alreadyGone() ? " was already gone (" : " revoked (")
        + revoked.proofOfRejection()
        + ")";
  }

  /** The UI's "current details": what the rotation is doing, in words. */
  static String details(RotationRequest r, RotationPhase phase, String message, KeyRef newKey) {
    return "**"
        + phase.name()
        + "** rotation of `"
        + r.secretId()
        + "` generation "
        + r.generation()
        + "\n\n"
        + message
        + (r.oldKey() == null ? "" : "\n\nold key: " + r.oldKey().fingerprint())
        + (newKey == null ? "" : "\nnew key: " + newKey.fingerprint())
        + "\ndestinations: "
        + String.join(", ", r.destinations().stream().map(Destination::describe).toList());
  }

  /** Ends a message taken from elsewhere with a full stop, so the next sentence reads as one. */
  static String sentence(String s) {
    String t = s == null ? "" : s.trim();
    return t.isEmpty() || ".!?".indexOf(t.charAt(t.length() - 1)) >= 0 ? t : t + ".";
  }

  static String fingerprint(KeyRef k) {
    return k == null ? "(not yet read)" : k.fingerprint();
  }

  /** The first lines of an emergency rotation's current details: what it is and who asked. */
  static String emergencyBanner(RotationRequest r) {
    return "**EMERGENCY** (leaked key) requested by "
        + r.requestedBy()
        + ": the leaked key is blocked first and deleted right after the new key is published"
        + " everywhere, with no grace period.\n\n";
  }

  static String leakedKeyBlocked(KeyRef leaked, boolean already) {
    return "leaked key "
        + fingerprint(leaked)
        + (already ? " was already blocked" : " blocked")
        + "; the proxy refuses it from now on";
  }

  /**
   * What to do about a leaked key that an emergency rotation blocked and then could not replace.
   */
  private static String stillBlocked(RotationRequest r) {
    return " The leaked key "
        + fingerprint(r.oldKey())
        + " stays BLOCKED (it was not unblocked, and will not be by itself): applications still"
        + " using it are refused until they get a new key. Fix what failed, then run the emergency"
        + " rotation again (`keyturn leaked "
        + r.secretId()
        + "`; a key already blocked counts as blocked). Only to restore service with the leaked"
        + " key, unblock it by hand (POST /key/unblock).";
  }

  /** An emergency rotation that failed after blocking the leaked key and rolled back. */
  static String emergencyRolledBack(
      RotationRequest r, RotationPhase failedAt, Throwable cause, String undone) {
    return failedWhile("EMERGENCY rotation", r, doing(failedAt), cause)
        + then(undone)
        + stillBlocked(r);
  }

  /**
   * An emergency rotation that failed with nothing of its own to undo: before the block (nothing
   * changed), after it, or while deleting the leaked key.
   */
  static String emergencyFailed(
      RotationRequest r, RotationPhase phase, Throwable cause, boolean blocked, KeyRef newKey) {
    String tail;
    if (phase == RotationPhase.REVOKING) {
      tail =
          " The new key "
              + fingerprint(newKey)
              + " is published; the leaked key "
              + fingerprint(r.oldKey())
              + " is blocked but NOT deleted: delete it by hand (POST /key/delete).";
    } else if (blocked) {
      tail = stillBlocked(r);
    } else {
      tail =
          " Nothing was blocked or minted: the leaked key "
              + fingerprint(r.oldKey())
              + " still works.";
    }
    return failedWhile("EMERGENCY rotation", r, doing(phase), cause) + tail;
  }

  /**
   * A routine rotation cancelled after it published its new key (in its grace period or while
   * revoking): both keys were live. {@code revokeOutcome} says what became of the old key when an
   * emergency rotation took over (it deletes it), null for any other cancellation.
   */
  static String cancelledAfterPublish(
      RotationRequest r,
      RotationPhase phase,
      String reason,
      KeyRef newKey,
      List<String> locations,
      String revokeOutcome) {
    String head =
        "Rotation of "
            + who(r)
            + " was cancelled while "
            + doing(phase)
            + " ("
            + reasonOrNone(reason)
            + "). The new key "
            + fingerprint(newKey)
            + " is published to "
            + String.join(", ", locations)
            + " and works.";
    if (revokeOutcome != null) {
      return head + " " + revokeOutcome;
    }
    return head
        + " The old key "
        + fingerprint(r.oldKey())
        + " was NOT revoked and STILL WORKS too: once applications use the new key, delete it"
        + " (POST /key/delete with its hash), or rotate again.";
  }

  static String oldKeyDeletedForTakeover(RevokeReceipt revoked) {
    return "An emergency rotation does not honour grace, so the old key "
        + fingerprint(revoked.key())
        + (revoked.alreadyGone() ? " was already gone (" : " was deleted now (")
        + revoked.proofOfRejection()
        + ").";
  }

  static String couldNotDeleteForTakeover(KeyRef oldKey, Throwable e) {
    return "COULD NOT delete the old key "
        + fingerprint(oldKey)
        + " for the emergency rotation ("
        + rootMessage(e)
        + "): it STILL WORKS; delete it by hand (POST /key/delete with its hash).";
  }

  /** A completed emergency rotation: the leaked key is gone, and how long the window was. */
  static String emergencyCompleted(
      KeyRef newKey, List<String> locations, RevokeReceipt revoked, long windowMillis) {
    return "EMERGENCY "
        + completed(newKey, locations, revoked)
        + "; the leaked key was blocked "
        + windowMillis
        + " ms before the new key was published everywhere";
  }

  static String leakedKeyNotDeleted(KeyRef leaked) {
    return "The leaked key "
        + fingerprint(leaked)
        + " is BLOCKED but was not deleted: delete it by hand (POST /key/delete with its hash).";
  }

  static String cancelled(String reason) {
    return "it was cancelled (" + reasonOrNone(reason) + ")";
  }

  // ---- An operator's rollback and grace changes (keyturn rollback, keyturn extend-grace) ----

  private static final java.util.regex.Pattern KEY_LIKE =
      java.util.regex.Pattern.compile("sk-[A-Za-z0-9_\\-]{4,}");

  /** Operator text (a reason) with anything that looks like a key masked, for plain messages. */
  static String masked(String text) {
    return text == null ? "" : KEY_LIKE.matcher(text).replaceAll("sk-…");
  }

  static String rollingBack(String by, String doing) {
    return "rolling back at the request of " + by + ": " + doing;
  }

  /**
   * Why a rollback cannot start, or null when it can: only in the grace period, with the old key's
   * value at hand, and while nothing else ends the grace period.
   */
  static String rollbackRefusal(
      RotationRequest r,
      RotationPhase phase,
      String reason,
      boolean revokeNowRequested,
      boolean rollingBack) {
    String nothing = " Nothing was changed.";
    if (reason == null || reason.isBlank()) {
      return "say why with --reason: it goes into the rotation's audit trail." + nothing;
    }
    if (r == null || phase.ordinal() < RotationPhase.IN_GRACE.ordinal()) {
      return rotationOf(r)
          + " is "
          + phase
          + ": its new key is not published yet, so there is nothing to undo (a rotation that"
          + " fails before its grace period rolls back by itself)."
          + nothing
          + " Try again once `keyturn status` shows IN_GRACE.";
    }
    if (phase == RotationPhase.REVOKING || phase == RotationPhase.COMPLETED) {
      return "Rotation of "
          + who(r)
          + " is past its grace period ("
          + phase
          + "): the old key "
          + fingerprint(r.oldKey())
          + " is gone or being revoked, so it cannot be put back."
          + nothing
          + " Rotate again instead.";
    }
    if (phase != RotationPhase.IN_GRACE) {
      return "Rotation of " + who(r) + " already ended as " + phase + "." + nothing;
    }
    if (revokeNowRequested) {
      return "Rotation of "
          + who(r)
          + ": revoke-now was asked, so the old key "
          + fingerprint(r.oldKey())
          + " is being revoked and cannot be put back."
          + nothing
          + " Rotate again instead.";
    }
    if (rollingBack) {
      return "A rollback of " + who(r) + " is already running: follow it with `keyturn status`.";
    }
    if (r.oldKeySealed() == null) {
      return "Rotation of "
          + who(r)
          + " was started from the old key's token hash only (--key-hash), so the worker does not"
          + " hold the value of the old key "
          + fingerprint(r.oldKey())
          + " and cannot put it back."
          + nothing
          + " Put the old key back in each destination by hand and end this rotation, or let it"
          + " finish and rotate again.";
    }
    return null;
  }

  static String rollbackRefusedOldKeyUnusable(RotationRequest r, Throwable e) {
    return "Rollback of "
        + who(r)
        + " refused: the old key "
        + fingerprint(r.oldKey())
        + " does not work at the proxy ("
        + sentence(rootMessage(e))
        + ") Nothing was changed: the new key stays published and the rotation goes on in its"
        + " grace period. Rotate again instead if the new key is bad.";
  }

  static String republished(Destination d, KeyRef newKey) {
    return d.describe() + " holds the new key " + fingerprint(newKey) + " again.";
  }

  static String couldNotRepublish(Destination d, KeyRef newKey, Throwable e) {
    return "COULD NOT put the new key "
        + fingerprint(newKey)
        + " back in "
        + d.describe()
        + " ("
        + rootMessage(e)
        + "): it holds the old key, which still works; both keys stay valid until the grace"
        + " period ends, so publish the new key there by hand before then.";
  }

  static String rollbackUndone(RotationRequest r, Throwable cause, String undone) {
    return failedWhile("Rollback", r, "putting the old key back", cause)
        + then(undone)
        + " The rotation goes on in its grace period; both keys still work.";
  }

  static String rolledBackOnRequest(
      RotationRequest r, String by, String reason, List<String> holdTheOldKey, String discarded) {
    return "Rotation of "
        + who(r)
        + " rolled back at the request of "
        + by
        + " ("
        + masked(reason)
        + "): "
        + String.join(", ", holdTheOldKey)
        + (holdTheOldKey.size() == 1 ? " holds" : " hold")
        + " the old key "
        + fingerprint(r.oldKey())
        + " again (read back), which works and was NOT revoked. "
        + discarded;
  }

  /** Why the grace period cannot change now, or null when it can (only while in it). */
  static String graceChangeRefusal(
      RotationRequest r, RotationPhase phase, boolean revokeNowRequested, boolean rollingBack) {
    if (phase != RotationPhase.IN_GRACE) {
      String why =
          phase.ordinal() < RotationPhase.IN_GRACE.ordinal()
              ? " Its grace period has not begun: the new key is not published yet. Try again"
                  + " once `keyturn status` shows IN_GRACE."
              : " Its grace period is over.";
      return rotationOf(r) + " is " + phase + "." + why + " Nothing was changed.";
    }
    if (revokeNowRequested) {
      return rotationOf(r)
          + ": revoke-now was asked, so the grace period is ending now. Nothing was changed.";
    }
    if (rollingBack) {
      return rotationOf(r) + " is being rolled back. Nothing was changed.";
    }
    return null;
  }

  static String graceChangeRefused(RotationRequest r, String problem) {
    return "Grace period of " + who(r) + " not changed: " + problem + ".";
  }

  static String graceChanged(
      RotationRequest r,
      List<String> locations,
      io.keyturn.workflows.model.GraceChange change,
      java.time.Instant before,
      java.time.Instant after) {
    return inGrace(r, locations, after.toString())
        + " (grace period "
        + change.describe()
        + " by "
        + change.requestedBy()
        + "; it was to end at "
        + before
        + ")";
  }

  // ------------------------------------------------------------------ the drain gate

  private static String lastUsed(KeyUse use) {
    return "last used "
        + Durations.format(java.time.Duration.ofSeconds(Math.max(0, use.secondsAgo())))
        + " ago ("
        + use.lastActive()
        + ", LiteLLM's last_active)";
  }

  /** The old key is still carrying traffic: its revoke is held until {@code limit}. */
  static String revokeHeld(KeyUse use, DrainPolicy p, String limit) {
    return "REVOKE HELD: grace is over but the old key "
        + fingerprint(use.key())
        + " is still in use, "
        + lastUsed(use)
        + ". Rechecking every "
        + Durations.format(p.recheckEvery())
        + "; revoked once unused for "
        + Durations.format(p.usedWithin())
        + ", or at "
        + limit
        + (p.onLimit() == DrainPolicy.OnLimit.REVOKE ? " in any case" : " an operator must decide")
        + ". Find the client still using it; `keyturn revoke-now` revokes it now.";
  }

  /** The hold reached its limit and the policy waits for an operator. */
  static String revokeHeldForOperator(KeyUse use, DrainPolicy p) {
    return "REVOKE HELD, WAITING FOR AN OPERATOR: the old key "
        + fingerprint(use.key())
        + " is still in use after "
        + Durations.format(p.maxHold())
        + " of holding, "
        + lastUsed(use)
        + ". It is revoked when unused for "
        + Durations.format(p.usedWithin())
        + ", or now with `keyturn revoke-now`.";
  }

  static String drainReleased(KeyUse use, DrainPolicy p) {
    return "The held revoke was released: "
        + fingerprint(use.key())
        + " was not used in the last "
        + Durations.format(p.usedWithin())
        + ".";
  }

  static String drainReleasedByOperator(KeyRef oldKey) {
    return "The held revoke of " + fingerprint(oldKey) + " was released by revoke-now.";
  }

  static String drainLimitRevoked(KeyUse use, DrainPolicy p) {
    return "The old key "
        + fingerprint(use.key())
        + " was revoked while still in use ("
        + lastUsed(use)
        + "): the hold reached its "
        + Durations.format(p.maxHold())
        + " limit.";
  }

  static String drainUnreadable(KeyRef oldKey) {
    return "Whether "
        + fingerprint(oldKey)
        + " was still in use could not be read from the proxy; it was revoked as grace ended.";
  }

  // ------------------------------------------------------------------ the management key gate

  static String waitingForManagementKey(KeyRef newKey, KeyRef inUse) {
    return "waiting for the worker to read the new management key "
        + fingerprint(newKey)
        + " from where it was published (it "
        + (inUse == null ? "could not say which key it uses" : "still uses " + fingerprint(inUse))
        + "); the old key is not revoked before it does";
  }

  static String managementKeyInUse(KeyRef newKey) {
    return "the worker now uses the new management key "
        + fingerprint(newKey)
        + "; revoking the old one with it";
  }

  static String managementKeyNotInUse(
      RotationRequest r, KeyRef newKey, KeyRef inUse, java.time.Duration waited) {
    return "Rotation of "
        + who(r)
        + ": after "
        + Durations.format(waited)
        + " the worker still "
        + (inUse == null
            ? "could not say which management key it uses"
            : "uses " + fingerprint(inUse))
        + ", not the new management key "
        + fingerprint(newKey)
        + ". Nothing was revoked: both keys work. Check that the worker's LITELLM_MASTER_KEY_FILE"
        + " is the file the rotation published to (and that LITELLM_MASTER_KEY is not set, which"
        + " wins over the file), then rotate again.";
  }
}
