package io.keyturn.workflows;

import io.keyturn.workflows.model.KeyPolicy;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An emergency rotation: the key to replace has leaked. It is a {@link KeyRotationWorkflow} run
 * whose request says {@code emergency}, under the same workflow id {@code rotation/<secret-id>} as
 * every rotation of the secret, and it differs from a routine one in three places:
 *
 * <ol>
 *   <li>the leaked key is <b>blocked</b> at the proxy ({@code POST /key/block}) right after the
 *       read-only checks (destinations, the key's policy) and before anything is minted, so it
 *       stops working while the rest happens; a key already blocked counts as blocked;
 *   <li>there is <b>no grace period</b>: the leaked key is deleted as soon as the new key is
 *       published everywhere;
 *   <li>if verify or publish fails, the new key is cleaned up as usual but the leaked key <b>stays
 *       blocked</b>: Keyturn never unblocks a leaked key by itself.
 * </ol>
 *
 * <p>Taking over: when a routine rotation of the secret is running, the CLI cancels it with {@link
 * #takeoverReason} and waits for it to close before starting the emergency one (Temporal's own id
 * conflict policy refuses two at once). A routine rotation cancelled that way after it published
 * (in its grace period, or revoking) deletes its own old key before it closes: an emergency does
 * not honour grace. Cancelled earlier, it rolls back as any cancelled rotation does (its new key
 * deleted, the stores put back).
 */
public final class EmergencyRotation {
  private EmergencyRotation() {}

  /** Memo the CLI sets on an emergency rotation: who started it. */
  public static final String MEMO = "keyturn-emergency";

  private static final String TAKEOVER = "keyturn emergency takeover: ";

  /** The cancellation reason with which an emergency rotation cancels a routine one. */
  public static String takeoverReason(String requestedBy) {
    return TAKEOVER + "an emergency rotation (leaked key) requested by " + requestedBy;
  }

  /** Whether a cancellation reason is an emergency rotation's takeover. */
  public static boolean isTakeover(String reason) {
    return reason != null && reason.startsWith(TAKEOVER);
  }

  /**
   * The policy of the new key without the leaked key's block: its policy is read from {@code
   * /key/info}, which a blocked key still answers, with {@code blocked: true} (and, from LiteLLM
   * 1.106, {@code status: "revoked"}).
   */
  static KeyPolicy unblocked(KeyPolicy policy) {
    Map<String, Object> f = new LinkedHashMap<>(policy.fields());
    f.remove("blocked");
    f.remove("status");
    return new KeyPolicy(f);
  }
}
