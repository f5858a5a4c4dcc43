package io.keyturn.workflows;

import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.VaultTarget;
import io.temporal.activity.ActivityInterface;

/** Writes to the secret stores applications read from. Store credentials are the worker's. */
@ActivityInterface
public interface SecretStoreActivities {

  /**
   * Publishes the new key to Vault KV v2 in LiteLLM's format, reads it back and compares
   * fingerprints. Idempotent: when the current version already holds this key nothing is written;
   * otherwise the write uses check-and-set against the version just read, so a concurrent writer is
   * detected ({@link RotationFailures#VAULT_CONFLICT}), never overwritten.
   */
  PublishReceipt publishKey(VaultTarget target, MintedKey key);

  /**
   * Compensation after a failed rotation: if the current version holds {@code key}, puts back the
   * previous version's data (or deletes the version if there was none). Idempotent: does nothing
   * when the store does not hold this key. Returns a sentence saying what it did.
   */
  String unpublishKey(VaultTarget target, MintedKey key);

  /**
   * Checks a destination before anything is minted: its settings make sense, the worker has the
   * credentials it needs, and the store answers. Read-only. Fails with {@link
   * RotationFailures#DESTINATION_INVALID} (non-retryable) naming the setting and the fix.
   */
  void checkDestination(Destination destination);

  /**
   * Reads the key the destination holds now, for a scheduled rotation to replace: its reference and
   * its value sealed under the Keyturn secret. Read-only. Null when the store holds no key.
   */
  CurrentKey readCurrentKey(Destination destination);

  /**
   * Publishes the new key to one destination, reads it back and compares fingerprints. Idempotent:
   * when the store's current version already holds this key nothing is written; a concurrent writer
   * is detected ({@link RotationFailures#STORE_CONFLICT}) where the store can tell.
   */
  PublishReceipt publishTo(Destination destination, MintedKey key);

  /**
   * Compensation: if the destination holds {@code key}, puts back the value it held before (where
   * the store keeps versions), or says exactly what it holds. Idempotent: does nothing when the
   * store does not hold this key. Returns a sentence saying what it did.
   */
  String restoreAt(Destination destination, MintedKey key);
}
