package io.keyturn.workflows.model;

import java.time.Duration;
import java.util.List;

/**
 * Where a LiteLLM proxy reads a model group's provider key itself: its stored deployment says
 * {@code api_key: os.environ/NAME} and the proxy's {@code key_management_system} resolves NAME in a
 * secret store. A rotation in this mode publishes the new key to every {@code destinations} entry
 * (the same destinations a virtual key's rotation writes) and leaves the deployments alone; the
 * proxy calls with the new value at most {@code proxyCache} after it was written.
 *
 * <p>That bound is LiteLLM's secret cache plus, where the proxy resolves a stored deployment's
 * {@code os.environ/} when it syncs its models rather than per request, its model-sync interval.
 * The Vault and Google managers keep a value for {@code SECRET_MANAGER_REFRESH_INTERVAL} seconds
 * (86400 in {@code litellm/constants.py}; {@code HCP_VAULT_REFRESH_INTERVAL}, {@code
 * GOOGLE_SECRET_MANAGER_REFRESH_INTERVAL} override it). LiteLLM 1.82 resolves per request ({@code
 * get_llm_provider}); 1.106 resolves at each model sync ({@code ProxyConfig._add_deployment}, every
 * {@code proxy_config_reload_interval_seconds}, 30 s). {@link #DEFAULT_PROXY_CACHE} is the sum of
 * both defaults, and the one default Keyturn has for it.
 */
public record ProxySecretStore(List<Destination> destinations, Duration proxyCache) {
  /**
   * LiteLLM's defaults: {@code SECRET_MANAGER_REFRESH_INTERVAL} (86400 s) plus {@code
   * PROXY_CONFIG_RELOAD_INTERVAL_SECONDS} (30 s).
   */
  public static final Duration DEFAULT_PROXY_CACHE = Duration.ofSeconds(86_400 + 30);

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
