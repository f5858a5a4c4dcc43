package io.keyturn.activities.store;

import io.keyturn.gateway.http.Redact;
import io.keyturn.workflows.RotationFailures;
import io.temporal.failure.ApplicationFailure;

/**
 * How the stores fail: with one of {@link RotationFailures}' store types ({@code STORE_DENIED},
 * {@code STORE_CONFLICT}, {@code STORE_UNREADABLE}: never retried, an operator must act) or as a
 * transient failure that Temporal retries. Either way the message is scrubbed of anything that
 * looks like a key.
 */
final class StoreFailures {
  private StoreFailures() {}

  static ApplicationFailure nonRetryable(String type, String message, Throwable cause) {
    return ApplicationFailure.newNonRetryableFailureWithCause(Redact.keys(message), type, cause);
  }

  static ApplicationFailure transientFailure(String message, Throwable cause) {
    return ApplicationFailure.newFailureWithCause(
        Redact.keys(message) + " (retrying)", RotationFailures.TRANSIENT, cause);
  }
}
