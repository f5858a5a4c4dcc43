package io.keyturn.workflows;

import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.activity.ActivityInterface;

/** Writes to the secret stores applications read from. Store credentials are the worker's. */
@ActivityInterface
public interface SecretStoreActivities {

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
   * Reads the upstream provider key the destination holds now (a proxy reads it as {@code api_key:
   * os.environ/NAME}), for a provider-key rotation to put back if it rolls back: its reference and
   * its value sealed to the worker. Unlike {@link #readCurrentKey} it takes a key of any provider's
   * shape ({@code gsk_...}, {@code AIza...}, hex): any value that is one line once its surrounding
   * whitespace is stripped (the value sealed and fingerprinted is the stripped one, as {@link
   * #publishSealed} writes it). Read-only. Null when the store holds no value or only whitespace;
   * fails non-retryably with {@link RotationFailures#DESTINATION_INVALID} when the value has more
   * than one line, naming the location and never the value.
   */
  CurrentKey readCurrentProviderKey(Destination destination);

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

  /**
   * Publishes a value that crossed the Temporal boundary sealed to the worker (an upstream provider
   * key) to one destination: opens {@code sealed} in the worker, checks it is {@code key}, writes
   * it as the store's current value, reads it back and compares fingerprints. Idempotent: when the
   * store already holds {@code key} nothing is written. Fails non-retryably with {@link
   * RotationFailures#SEALING_KEY_MISMATCH} when the value cannot be opened or is not {@code key},
   * and with {@link RotationFailures#PUBLISH_MISMATCH} when the read-back differs.
   *
   * @param workflowId the writing workflow's id, for the store's metadata and idempotency tokens
   * @param label what the store's metadata calls this write (its generation), e.g. {@code
   *     pk-<nonce>}
   */
  PublishReceipt publishSealed(
      Destination destination, KeyRef key, SealedSecret sealed, String workflowId, String label);

  /**
   * Puts a rotation's old key back in one destination (an operator's rollback in the grace period):
   * opens {@code sealed} in the worker, checks it is {@code key}, writes it as the store's current
   * value the way {@link #publishTo} writes a new key (every store type can), reads it back and
   * compares fingerprints. Idempotent: when the store already holds {@code key} nothing is written.
   * Fails non-retryably with {@link RotationFailures#SEALING_KEY_MISMATCH} when the value cannot be
   * opened or is not {@code key}, and with {@link RotationFailures#PUBLISH_MISMATCH} when the
   * read-back differs.
   *
   * @param workflowId the rotation's workflow id, for the store's metadata and idempotency tokens
   * @param generation the rotation's generation; the write is labelled {@code
   *     g<generation>-rollback}
   */
  PublishReceipt putBackOldKey(
      Destination destination, KeyRef key, SealedSecret sealed, String workflowId, long generation);
}
