package io.keyturn.activities.store;

import io.keyturn.gateway.http.Redact;
import io.keyturn.workflows.RotationFailures;
import io.temporal.failure.ApplicationFailure;
import java.util.List;

/**
 * Failure types of the secret stores beyond Vault's own ({@link RotationFailures#VAULT_DENIED},
 * {@link RotationFailures#VAULT_CONFLICT}). Wiring the stores into the workflow means adding the
 * non-retryable ones to {@link RotationFailures#NON_RETRYABLE}; until then each is thrown with
 * {@code nonRetryable=true} on the failure itself.
 */
public final class StoreFailures {
  private StoreFailures() {}

  /** The store refused the worker's credentials or permissions, or the location is unusable. */
  public static final String STORE_DENIED = RotationFailures.STORE_DENIED;

  /** Another writer changed the secret while Keyturn was writing it. */
  public static final String STORE_CONFLICT = RotationFailures.STORE_CONFLICT;

  /** The store holds something Keyturn cannot safely rewrite (e.g. a JSON file that is a list). */
  public static final String STORE_UNREADABLE = RotationFailures.STORE_UNREADABLE;

  /** The non-retryable types above. */
  public static final List<String> NON_RETRYABLE =
      List.of(STORE_DENIED, STORE_CONFLICT, STORE_UNREADABLE);

  static ApplicationFailure nonRetryable(String type, String message, Throwable cause) {
    return ApplicationFailure.newNonRetryableFailureWithCause(Redact.keys(message), type, cause);
  }

  static ApplicationFailure transientFailure(String message, Throwable cause) {
    return ApplicationFailure.newFailureWithCause(
        Redact.keys(message) + " (retrying)", RotationFailures.TRANSIENT, cause);
  }
}
