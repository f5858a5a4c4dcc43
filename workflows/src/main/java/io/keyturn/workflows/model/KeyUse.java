package io.keyturn.workflows.model;

/**
 * What the proxy says about a key's recent use, read at the end of a grace period: LiteLLM's {@code
 * last_active} (set by its spend writer when a request made with the key is charged, batched every
 * 10-15 s), and whether that is within the window asked for, measured by the worker's clock when it
 * read it.
 *
 * @param key the key asked about
 * @param lastActive ISO-8601 instant of the key's last charged request; null when the proxy has
 *     none (never used, a release without the field, or the key is gone)
 * @param secondsAgo how long before the read {@code lastActive} was; -1 when it is null
 * @param usedWithinWindow whether {@code lastActive} is within the window asked for
 */
public record KeyUse(KeyRef key, String lastActive, long secondsAgo, boolean usedWithinWindow) {

  /** Nothing known about the key's use: it counts as unused. */
  public static KeyUse unknown(KeyRef key) {
    return new KeyUse(key, null, -1, false);
  }
}
