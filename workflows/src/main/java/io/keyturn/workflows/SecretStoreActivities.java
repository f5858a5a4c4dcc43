package io.keyturn.workflows;

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
}
