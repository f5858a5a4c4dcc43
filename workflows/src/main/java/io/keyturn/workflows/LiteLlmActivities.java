package io.keyturn.workflows;

import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.KeyUse;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.activity.ActivityInterface;

/**
 * Calls to the LiteLLM proxy's management API. The management key is the worker's; it never enters
 * an argument or a result. Method names are wire names: renaming one is a versioning event.
 */
@ActivityInterface
public interface LiteLlmActivities {

  /**
   * Reads the key being replaced ({@code GET /key/info}) and returns its policy without the fields
   * Keyturn owns. Read-only, so trivially idempotent. Fails with {@link
   * RotationFailures#OLD_KEY_NOT_FOUND} when the proxy does not know the key.
   */
  KeyPolicy importPolicy(String gatewayUrl, KeyRef key);

  /**
   * Mints the new key ({@code POST /key/generate}) with a value derived from {@code
   * request.derivation()}. Idempotent: a retry that finds the alias taken by the key it derives
   * adopts that key rather than minting a second one; an alias held by any other key fails with
   * {@link RotationFailures#ALIAS_TAKEN}.
   */
  MintedKey mintKey(MintRequest request);

  /**
   * Proves the new key works: {@code GET /v1/models} with the new key as bearer returns the
   * policy's models, and {@code /key/info} shows it neither blocked nor expired. Read-only.
   */
  void verifyKey(String gatewayUrl, MintedKey key, KeyPolicy policy);

  /**
   * Deletes a key ({@code POST /key/delete} by token hash). Idempotent: "No keys found" counts as
   * done and returns false; true when this call deleted it.
   */
  boolean deleteKey(String gatewayUrl, KeyRef key);

  /**
   * Deletes the key {@code request} derives, if it exists and is this rotation's (its alias or its
   * metadata names this rotation): the undo of a mint that failed, timed out or whose reply was
   * lost. Idempotent: no such key (404, or archived as deleted) counts as done and returns false;
   * true when this call deleted it. A key with that value but another owner is left alone, and the
   * call fails with {@link RotationFailures#ALIAS_TAKEN} naming it.
   */
  boolean discardDerivedKey(MintRequest request);

  /**
   * Proves the old key, already deleted with {@link #deleteKey}, is rejected: {@code /key/info} no
   * longer shows it live (404, or archived as deleted), and when the sealed value is given the key
   * itself is refused as a bearer. Read-only, so idempotent. Fails retryably with {@link
   * RotationFailures#OLD_KEY_STILL_ACCEPTED} while a proxy cache still accepts it. {@code
   * deletedByThisRotation} is what {@code deleteKey} answered, so the receipt can say whether this
   * rotation deleted the key or found it already gone.
   */
  RevokeReceipt confirmRevoked(
      String gatewayUrl, KeyRef oldKey, SealedSecret oldKeySealed, boolean deletedByThisRotation);

  /**
   * Blocks a key ({@code POST /key/block} by token hash): the proxy refuses it as a bearer from
   * then on, while its row (and so its policy) stays readable. The first step of an emergency
   * rotation. Idempotent: a key already blocked counts as done and returns false; true when this
   * call blocked it. Fails with {@link RotationFailures#OLD_KEY_NOT_FOUND} when the proxy does not
   * know the key.
   */
  boolean blockKey(String gatewayUrl, KeyRef key);

  /**
   * Proves a key still works before a rollback puts it back: opens {@code sealed} (which must be
   * {@code key}), {@code /key/info} shows it live, not blocked and not expired, and {@code
   * /v1/models} with the key itself as bearer answers 200. Read-only, so idempotent. Fails
   * non-retryably with {@link RotationFailures#KEY_UNUSABLE} (or {@link
   * RotationFailures#OLD_KEY_NOT_FOUND}, {@link RotationFailures#SEALING_KEY_MISMATCH}) saying why.
   */
  void confirmUsable(String gatewayUrl, KeyRef key, SealedSecret sealed);

  /**
   * When the proxy last saw {@code key} used ({@code GET /key/info}'s {@code last_active}, which
   * LiteLLM's spend writer sets for each charged request, batched every 10-15 s), and whether that
   * is within {@code window} of now. Read-only. A key the proxy no longer has, or a release without
   * the field, answers {@link KeyUse#unknown}.
   */
  KeyUse keyUse(String gatewayUrl, KeyRef key, java.time.Duration window);

  /**
   * Proves a new management key can do each thing a rotation needs, with the key itself: the
   * gateway check ({@code keyturn gateway check}: readiness, a {@code proxy_admin}'s key, its
   * {@code allowed_routes}, a probe key minted, read and deleted). Fails non-retryably with {@link
   * RotationFailures#VERIFY_FAILED} naming what the key lacks. The probe key is blocked, expires in
   * minutes and is deleted, so a retry leaves nothing behind.
   */
  void verifyManagementKey(String gatewayUrl, MintedKey key);

  /**
   * The management key this worker reads now, as a reference (LITELLM_MASTER_KEY, or its file
   * re-read), once the proxy accepted a call made with it ({@code GET /key/info} of itself).
   * Read-only. Fails retryably when the proxy refuses it.
   */
  KeyRef managementKeyInUse(String gatewayUrl);
}
