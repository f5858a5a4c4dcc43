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

  /** A rotation that failed and whose undo steps ran: the old key still works. */
  static String rolledBack(
      RotationRequest r, RotationPhase failedAt, Throwable cause, String undone, KeyRef oldKey) {
    return "Rotation of "
        + who(r)
        + " failed while "
        + failedAt.name().toLowerCase()
        + ": "
        + sentence(rootMessage(cause))
        + (undone.isEmpty() ? "" : " " + undone)
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
    return "Rotation of "
        + who(r)
        + " failed while "
        + phase.name().toLowerCase()
        + ": "
        + sentence(rootMessage(cause))
        + tail;
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
