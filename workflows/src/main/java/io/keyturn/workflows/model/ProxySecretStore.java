package io.keyturn.workflows.model;

import java.time.Duration;
import java.util.List;

/**
 * Where a LiteLLM proxy reads a model group's provider key itself: its deployment says {@code
 * api_key: os.environ/NAME} and the proxy's {@code key_management_system} resolves NAME in a secret
 * store. A rotation in this mode publishes the new key to every {@code destinations} entry (the
 * same destinations a virtual key's rotation writes) and leaves the deployments alone; the proxy
 * picks the new value up when its own secret cache expires, which takes up to {@code proxyCache}.
 *
 * <p>LiteLLM keeps a secret it read for {@code SECRET_MANAGER_REFRESH_INTERVAL} seconds (86400, a
 * day, in {@code litellm/constants.py}), or what the manager's own variable says ({@code
 * HCP_VAULT_REFRESH_INTERVAL}, {@code GOOGLE_SECRET_MANAGER_REFRESH_INTERVAL}). {@link
 * #DEFAULT_PROXY_CACHE} is that day, and the one default Keyturn has for it.
 */
public record ProxySecretStore(List<Destination> destinations, Duration proxyCache) {
  /** LiteLLM's default secret cache: {@code SECRET_MANAGER_REFRESH_INTERVAL} = 86400 s. */
  public static final Duration DEFAULT_PROXY_CACHE = Duration.ofDays(1);

  public ProxySecretStore {
    destinations = destinations == null ? List.of() : List.copyOf(destinations);
    proxyCache = proxyCache == null ? DEFAULT_PROXY_CACHE : proxyCache;
    if (destinations.isEmpty()) {
      throw new IllegalArgumentException(
          "secretStore.destinations is empty: name the store(s) the proxy reads the key from");
    }
    if (proxyCache.isNegative()) {
      throw new IllegalArgumentException("secretStore.proxyCache must not be negative");
    }
  }

  /**
   * Why {@code grace} is too short for this store, or null when it is not: the old key may only be
   * revoked once no proxy can still hold it in its cache, so the grace must be longer than the
   * cache. The one place this rule is written; the config loader and the request both ask it.
   */
  public String graceProblem(Duration grace) {
    if (grace != null && grace.compareTo(proxyCache) > 0) {
      return null;
    }
    return "the grace period ("
        + Durations.format(grace == null ? Duration.ZERO : grace)
        + ") is not longer than the proxy's secret cache ("
        + Durations.format(proxyCache)
        + "): the proxy could still call with the old key when it is revoked";
  }
}
