package io.keyturn.workflows.model;

import java.util.Objects;

/**
 * The public half of a minted key's derivation: the worker computes the key value as an HMAC of
 * these fields under the derivation key of worker key {@code keyId}. Safe in history: without that
 * worker key it reveals nothing about the key.
 *
 * <p>The workflow builds it without a {@code keyId} (null): the worker fills in its current key
 * when it mints, and the {@link MintedKey} it returns carries the filled-in derivation, which every
 * later step (verify, publish, a retry during grace) uses. So a rotation keeps deriving the same
 * value after the worker's keyring moves on, as long as the worker still holds that key.
 */
public record KeyDerivation(String workflowId, String alias, String nonce, String keyId) {
  public KeyDerivation {
    Objects.requireNonNull(workflowId, "workflowId");
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(nonce, "nonce");
  }

  /** A derivation whose worker key is still to be chosen (by the worker, when it mints). */
  public KeyDerivation(String workflowId, String alias, String nonce) {
    this(workflowId, alias, nonce, null);
  }

  /** This derivation, bound to worker key {@code id}. */
  public KeyDerivation withKeyId(String id) {
    return new KeyDerivation(workflowId, alias, nonce, Objects.requireNonNull(id, "keyId"));
  }
}
