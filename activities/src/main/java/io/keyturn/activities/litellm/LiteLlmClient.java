package io.keyturn.activities.litellm;

import io.keyturn.activities.http.Json;
import io.keyturn.activities.http.JsonHttp;
import io.keyturn.activities.http.JsonHttp.Reply;
import io.keyturn.activities.http.JsonHttp.TransportException;
import io.keyturn.workflows.RotationFailures;
import io.temporal.failure.ApplicationFailure;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The LiteLLM management calls Keyturn makes, as raw replies. The management key comes from the
 * worker's configuration through a supplier, so it is read when needed and never stored in a
 * request record. A transport failure becomes a retryable {@link RotationFailures#TRANSIENT}.
 */
public class LiteLlmClient {
  private final JsonHttp http;
  private final Supplier<String> managementKey;

  public LiteLlmClient(JsonHttp http, Supplier<String> managementKey) {
    this.http = http;
    this.managementKey = managementKey;
  }

  /** {@code GET /key/info?key=} with the management key; the argument is a hash or raw key. */
  public Reply keyInfo(String gateway, String keyOrHash) {
    return call("GET", gateway, "/key/info?key=" + enc(keyOrHash), bearer(admin()), null);
  }

  /** {@code GET /key/info} with no argument: the management key describes itself. */
  public Reply selfInfo(String gateway) {
    return call("GET", gateway, "/key/info", bearer(admin()), null);
  }

  /** {@code POST /key/generate} with the management key. */
  public Reply generate(String gateway, Map<String, Object> body) {
    return call("POST", gateway, "/key/generate", bearer(admin()), Json.write(body));
  }

  /** {@code POST /key/delete} by token hashes with the management key. */
  public Reply delete(String gateway, List<String> tokenHashes) {
    return call(
        "POST", gateway, "/key/delete", bearer(admin()), Json.write(Map.of("keys", tokenHashes)));
  }

  /** {@code GET /key/list?key_alias=} (exact match) with the management key. */
  public Reply listByAlias(String gateway, String alias) {
    return call(
        "GET",
        gateway,
        "/key/list?key_alias=" + enc(alias) + "&return_full_object=true",
        bearer(admin()),
        null);
  }

  /** {@code GET /v1/models} with the given key itself as bearer. */
  public Reply models(String gateway, String rawKey) {
    return call("GET", gateway, "/v1/models", bearer(rawKey), null);
  }

  /** {@code GET /health/readiness}, no auth. */
  public Reply readiness(String gateway) {
    return call("GET", gateway, "/health/readiness", Map.of(), null);
  }

  private Reply call(
      String method, String gateway, String path, Map<String, String> headers, String body) {
    try {
      return http.send(method, gateway + path, headers, body);
    } catch (TransportException e) {
      throw ApplicationFailure.newFailure(
          "LiteLLM at " + gateway + " is unreachable: " + e.getMessage() + " (retrying)",
          RotationFailures.TRANSIENT);
    }
  }

  private String admin() {
    String k = managementKey.get();
    if (k == null || k.isBlank()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the worker has no LiteLLM management key: set LITELLM_MASTER_KEY or"
              + " LITELLM_MASTER_KEY_FILE for the worker and restart it",
          RotationFailures.WORKER_MISCONFIGURED);
    }
    return k;
  }

  private static Map<String, String> bearer(String token) {
    return Map.of("Authorization", "Bearer " + token);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
