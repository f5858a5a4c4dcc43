package io.keyturn.activities.provider;

import io.keyturn.gateway.http.JsonHttp;
import java.util.Map;
import java.util.Objects;

/**
 * What the worker gives a {@link KeyProvider.Factory}: its HTTP client and its environment (where a
 * provider finds its own credentials, e.g. KEYTURN_OPENAI_ADMIN_KEY_FILE).
 *
 * @param http the worker's HTTP client
 * @param env the worker's environment variables
 */
public record ProviderContext(JsonHttp http, Map<String, String> env) {
  public ProviderContext {
    Objects.requireNonNull(http, "http");
    env = env == null ? Map.of() : Map.copyOf(env);
  }
}
