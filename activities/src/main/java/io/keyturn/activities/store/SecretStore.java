package io.keyturn.activities.store;

import java.util.Optional;

/**
 * One destination a rotated key is published to: a Vault KV v2 secret, an AWS Secrets Manager
 * secret, a file. An instance is bound to one location by its configuration record; the credentials
 * it needs come from the worker, never from that record.
 *
 * <p>Values pass in as plain strings and never come back out: reads return the value's fingerprint
 * ({@link io.keyturn.workflows.crypto.KeyMaterial#tokenHash(String)}, LiteLLM's token hash), and no
 * receipt, exception message or log line carries a value.
 *
 * <p>Failures are Temporal {@code ApplicationFailure}s: retryable ones typed {@code Transient}, the
 * others non-retryable with a message naming the location and the fix (see {@link StoreFailures}).
 */
public interface SecretStore {

  /** The registry name of this kind of store, e.g. {@code "vault-kv2"}. */
  String type();

  /** A readable location with no secret in it, e.g. {@code secret/litellm/svc-a#key}. */
  String location();

  /**
   * Makes {@code value} the current version of the secret. Idempotent: when the current version
   * already holds {@code value} nothing is written and the receipt says {@code written=false} with
   * the current version's id. A retry of the same {@code rotation} after a partial write finishes
   * the same write rather than making another one.
   *
   * @param value the raw secret; it appears in the store and nowhere else
   * @param rotation which rotation writes, for the store's metadata and idempotency tokens
   */
  StoreReceipt write(String value, RotationContext rotation);

  /** The fingerprint of the current version's value, or empty when there is no current value. */
  Optional<String> currentFingerprint();

  /**
   * Fails (non-retryable, with the fix) when this destination cannot take a write: the check made
   * before anything is minted. By default, reading the current value proves the store answers and
   * the credentials work; a store where a read can succeed on a destination that cannot be written
   * (a file in a missing directory) checks more. Read-only.
   */
  default void checkUsable() {
    currentFingerprint();
  }

  /**
   * The current version's value, or empty when there is none. Only for chaining scheduled
   * rotations: the caller seals it at once (AES-GCM under the Keyturn secret) and never logs or
   * returns it in the clear. Read-only.
   */
  Optional<String> currentValue();

  /** Whether {@link #restorePrevious(String)} can put a previous value back in this store. */
  boolean supportsRestore();

  /**
   * Compensation: when the current version holds the value whose fingerprint is {@code
   * fingerprintToUndo}, makes the value it replaced current again, or removes the value if it
   * replaced nothing. Idempotent: when the current version holds anything else (already restored,
   * or never written) nothing changes and the receipt says {@code written=false}.
   *
   * @throws UnsupportedOperationException when {@link #supportsRestore()} is false
   */
  StoreReceipt restorePrevious(String fingerprintToUndo);

  /**
   * Removes the secret's current value. Idempotent: a secret that is already gone (or never
   * existed) is done, not an error.
   */
  void delete();
}
