package io.keyturn.workflows;

import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.failure.ApplicationFailure;
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

  /**
   * The key to be replaced is managed by the LiteLLM Kubernetes operator, which would re-mint its
   * alias (and overwrite its Secret) once Keyturn revoked it.
   */
  public static final String OPERATOR_MANAGED = "OperatorManaged";

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

  /** A destination's settings, credentials or reachability are wrong; nothing was minted. */
  public static final String DESTINATION_INVALID = "DestinationInvalid";

  /** A store refused the worker's credentials or the location (401/403 or the like). */
  public static final String STORE_DENIED = "SecretStoreDenied";

  /** Another writer changed a store's secret between our read and our write. */
  public static final String STORE_CONFLICT = "SecretStoreConflict";

  /** A store holds something Keyturn cannot safely rewrite (e.g. a JSON file that is a list). */
  public static final String STORE_UNREADABLE = "SecretStoreUnreadable";

  /**
   * A scheduled rotation found no key to replace: the store is empty and no first key was given.
   */
  public static final String NOTHING_TO_ROTATE = "NothingToRotate";

  /** The worker lacks a setting it needs (management key, Vault token, sealing key). */
  public static final String WORKER_MISCONFIGURED = "WorkerMisconfigured";

  /** A sealed value cannot be opened with this worker's sealing key. */
  public static final String SEALING_KEY_MISMATCH = "SealingKeyMismatch";

  /**
   * Retryable: the proxy still accepts the old key after deletion (cross-pod cache, up to ~60 s).
   */
  public static final String OLD_KEY_STILL_ACCEPTED = "OldKeyStillAccepted";

  /**
   * A rotation of the secret is already running under {@code rotation/<secret-id>}: Temporal
   * refused a second one, and nothing was changed.
   */
  public static final String ALREADY_RUNNING = "RotationAlreadyRunning";

  /** A key that should still work (the old key, before a rollback) is refused or gone. */
  public static final String KEY_UNUSABLE = "KeyUnusable";

  /** Retryable: the proxy or store is throttling, overloaded or unreachable. */
  public static final String TRANSIENT = "Transient";

  public static final List<String> NON_RETRYABLE =
      List.of(
          GATEWAY_UNAUTHORIZED,
          GATEWAY_FORBIDDEN,
          GATEWAY_BAD_REQUEST,
          GATEWAY_UNSUPPORTED,
          OLD_KEY_NOT_FOUND,
          OPERATOR_MANAGED,
          ALIAS_TAKEN,
          VERIFY_FAILED,
          VAULT_DENIED,
          VAULT_CONFLICT,
          PUBLISH_MISMATCH,
          DESTINATION_INVALID,
          STORE_DENIED,
          STORE_CONFLICT,
          STORE_UNREADABLE,
          NOTHING_TO_ROTATE,
          ALREADY_RUNNING,
          WORKER_MISCONFIGURED,
          SEALING_KEY_MISMATCH,
          KEY_UNUSABLE);

  /**
   * Whether another attempt could fix the failure of an activity: false when its cause is an
   * application failure marked non-retryable or of a {@link #NON_RETRYABLE} type; true for the rest
   * (retryable failures, timeouts).
   */
  public static boolean retryable(io.temporal.failure.ActivityFailure f) {
    return !(f.getCause() instanceof ApplicationFailure af
        && (af.isNonRetryable() || NON_RETRYABLE.contains(af.getType())));
  }

  /** Whether {@code t} or one of its causes is an application failure of {@code type}. */
  public static boolean hasType(Throwable t, String type) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ApplicationFailure af && type.equals(af.getType())) {
        return true;
      }
    }
    return false;
  }

  /**
   * Whether {@code t} or one of its causes says the workflow id is taken by a running workflow: the
   * secret's rotation (or the fleet) is already running.
   */
  public static boolean alreadyStarted(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof WorkflowExecutionAlreadyStarted) {
        return true;
      }
    }
    return false;
  }
}
