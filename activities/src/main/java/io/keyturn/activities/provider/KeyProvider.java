package io.keyturn.activities.provider;

import io.keyturn.workflows.ProviderKeyFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.provider.ProviderTypes;
import io.temporal.failure.ApplicationFailure;
import java.util.Map;

/**
 * Where a model group's upstream provider keys come from and go: one class per provider, like the
 * secret stores. Its name, settings and their validation, key shape and description are its {@code
 * io.keyturn.workflows.provider.ProviderType} (which the CLI carries without any SDK); this is the
 * worker's half, the calls. {@code settings} are the non-secret settings of its keyturn.yaml entry;
 * the provider's own credentials (an admin key) are the worker's, never in a request.
 */
public interface KeyProvider {

  /**
   * Makes the worker's {@link KeyProvider} of one {@code ProviderType} (same name): found by {@link
   * KeyProviders} through {@link java.util.ServiceLoader} (a public class with a no-argument
   * constructor, registered with {@code @AutoService(KeyProvider.Factory.class)}; by convention
   * nested in its provider class, {@code OpenAiProvider.Factory}).
   */
  interface Factory {
    /** The provider, with the worker's resources and credentials from its environment. */
    KeyProvider make(ProviderContext worker);
  }

  /** The name keyturn.yaml uses ({@code provider: openai}). */
  String name();

  /** Why this worker cannot use it with {@code settings} (no admin key, say); null when it can. */
  String problem(Map<String, String> settings);

  /** Whether {@link #create} and {@link #revoke} work; false for keys made by a person. */
  boolean automated();

  /** A new key named {@code name}; idempotent by name (an earlier attempt's key is replaced). */
  Created create(Map<String, String> settings, String name);

  /**
   * The provider's ids and names of the keys it holds for {@code settings} (an OpenAI project's
   * service accounts), so a rotation can find the keys Keyturn named earlier. Read-only. Empty for
   * a provider that cannot list (keys made by a person).
   */
  default Map<String, String> namesById(Map<String, String> settings) {
    return Map.of();
  }

  /** Revokes the key {@code providerId}; true if it was revoked now, false if already gone. */
  boolean revoke(Map<String, String> settings, String providerId);

  /**
   * Checks at the provider, with the key {@code value} itself, that it works: returns when it does,
   * throws a non-retryable {@code ProviderKeyFailures.KEY_REJECTED} failure when the provider
   * refuses it and a retryable one when it cannot be asked. Returns false, having done nothing,
   * when this provider has no check of its own: then {@code GET <api_base>/models} of the
   * deployment (OpenAI-compatible) is the check. No side effect either way.
   */
  default boolean verifyAtProvider(Map<String, String> settings, String value) {
    return false;
  }

  /**
   * The {@code litellm_params} entries that carry the key {@code value} in a deployment: by default
   * its {@code ProviderType}'s ({@code api_key}, or an AWS pair with its region), {@code api_key}
   * for a provider without one. They go only into the {@code /model/new} body, never into a log or
   * a return value.
   *
   * <p>A value not of the provider's key shape (one value where a pair is due) is refused with a
   * non-retryable {@code ProviderKeyFailures.KEY_REJECTED} failure that shows no part of it.
   */
  default Map<String, Object> litellmParams(Map<String, String> settings, String value) {
    try {
      return ProviderTypes.find(name())
          .map(t -> t.litellmParams(settings, value))
          .orElseGet(() -> Map.of("api_key", value));
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "provider " + name() + ": " + e.getMessage(), ProviderKeyFailures.KEY_REJECTED);
    }
  }

  /**
   * A key just made: its value (kept in the worker), the provider's id for it, and how people see
   * it ({@code keyName} of its {@code KeyRef}; by default {@code sk-...} and the value's last four
   * characters, which a provider whose value ends in a secret replaces).
   */
  record Created(String value, String providerId, String display) {
    public Created(String value, String providerId) {
      this(value, providerId, KeyMaterial.keyName(value));
    }

    @Override
    public String toString() {
      return "Created[" + providerId + "]";
    }
  }
}
