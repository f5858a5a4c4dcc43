package io.keyturn.activities.audit;

import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.ProxyKey;

/**
 * A rotation that runs now, as far as Temporal and its {@code status} query tell: it owns the key
 * it mints (its secret and generation) and the key it replaces. When what it owns cannot be told
 * (its status did not answer, or it has not resolved its generation or old key yet), it is taken to
 * own every key of its secret; with no secret known, every key.
 *
 * @param secretId null when unknown
 * @param generation 0 when unknown
 * @param oldKey the fingerprint of the key it replaces; null when unknown
 */
public record RunningRotation(String workflowId, String secretId, long generation, String oldKey) {

  /** Whether this rotation could use {@code key}: then it is not an orphan. */
  public boolean owns(ProxyKey key) {
    if (oldKey != null && oldKey.endsWith(KeyRef.shortHash(key.ref().tokenHash()))) {
      return true;
    }
    if (secretId == null) {
      return true;
    }
    if (!secretId.equals(key.secretId())) {
      return false;
    }
    if (generation <= 0 || oldKey == null) {
      return true;
    }
    return generation == key.generation()
        || ProxyKey.aliasOf(secretId, generation).equals(key.alias());
  }

  /** E.g. {@code rotation/svc-a (generation 7, replacing sk-…Ab12 #0a1b2c3d)}. */
  public String describe() {
    if (generation <= 0 || oldKey == null) {
      return workflowId + " (its generation and old key are not known yet)";
    }
    return workflowId + " (generation " + generation + ", replacing " + oldKey + ")";
  }
}
