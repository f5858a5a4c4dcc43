package io.keyturn.workflows;

import java.util.List;

/**
 * Named failure types. Activities throw {@code ApplicationFailure}s of these types; the ones in
 * {@link #NON_RETRYABLE} are never retried, because retrying cannot fix them: an operator must.
 */
public final class RotationFailures {
  private RotationFailures() {}

  /** The management key was refused (401): unknown, expired or blocked. */
  public static final String GATEWAY_UNAUTHORIZED = "GatewayUnauthorized";

  /** The management key may not call a route (403), or is not a proxy admin. */
  public static final String GATEWAY_FORBIDDEN = "GatewayForbidden";

  /** The proxy rejected a request as invalid (400/422): a policy field, an alias, a format. */
  public static final String GATEWAY_BAD_REQUEST = "GatewayBadRequest";

  /** The proxy answered that a feature needs LiteLLM Enterprise. */
  public static final String GATEWAY_UNSUPPORTED = "GatewayUnsupported";

  /** The key to be replaced does not exist at the proxy. */
  public static final String OLD_KEY_NOT_FOUND = "OldKeyNotFound";

  /** The versioned alias this rotation mints under belongs to a key Keyturn did not derive. */
  public static final String ALIAS_TAKEN = "AliasTaken";

  /** The new key does not work as its policy says (wrong models, blocked, expired, refused). */
  public static final String VERIFY_FAILED = "NewKeyVerificationFailed";

  /** Vault refused the token or the path (401/403), or the secret is not KV v2. */
  public static final String VAULT_DENIED = "VaultDenied";

  /** Another writer changed the Vault secret between our read and our write (check-and-set). */
  public static final String VAULT_CONFLICT = "VaultConflict";

  /** What was read back from Vault is not the key that was written. */
  public static final String PUBLISH_MISMATCH = "PublishReadBackMismatch";

  /** The worker lacks a setting it needs (management key, Vault token, sealing key). */
  public static final String WORKER_MISCONFIGURED = "WorkerMisconfigured";

  /** A sealed value cannot be opened with this worker's sealing key. */
  public static final String SEALING_KEY_MISMATCH = "SealingKeyMismatch";

  /**
   * Retryable: the proxy still accepts the old key after deletion (cross-pod cache, up to ~60 s).
   */
  public static final String OLD_KEY_STILL_ACCEPTED = "OldKeyStillAccepted";

  /** Retryable: the proxy or store is throttling, overloaded or unreachable. */
  public static final String TRANSIENT = "Transient";

  public static final List<String> NON_RETRYABLE =
      List.of(
          GATEWAY_UNAUTHORIZED,
          GATEWAY_FORBIDDEN,
          GATEWAY_BAD_REQUEST,
          GATEWAY_UNSUPPORTED,
          OLD_KEY_NOT_FOUND,
          ALIAS_TAKEN,
          VERIFY_FAILED,
          VAULT_DENIED,
          VAULT_CONFLICT,
          PUBLISH_MISMATCH,
          WORKER_MISCONFIGURED,
          SEALING_KEY_MISMATCH);
}
