package io.keyturn.activities.provider;

import java.util.Map;

/**
 * Where a model group's upstream provider keys come from and go: one class per provider, like the
 * secret stores. {@code settings} are the non-secret settings of its keyturn.yaml entry; the
 * provider's own credentials (an admin key) are the worker's, never in a request.
 */
public interface KeyProvider {

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

  /** A key just made: its value (kept in the worker) and the provider's id for it. */
  record Created(String value, String providerId) {
    @Override
    public String toString() {
      return "Created[" + providerId + "]";
    }
  }
}
