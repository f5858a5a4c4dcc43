package io.keyturn.gateway.litellm;

import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.gateway.http.JsonHttp.TransportException;
import io.keyturn.workflows.RotationFailures;
import io.temporal.failure.ApplicationFailure;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The LiteLLM management calls Keyturn makes, as raw replies. The management key comes from the
 * worker's configuration through a supplier, so it is read when needed and never stored in a
 * request record. A transport failure becomes a retryable {@link RotationFailures#TRANSIENT}.
 *
 * <p>Calls made with the management key go through {@link GatewayPacing}: with adaptive pacing (the
 * worker's), a 429 pauses every management call to that proxy for its Retry-After and the call is
 * sent again, within the pacing budget, so a throttling proxy slows rotations down rather than
 * failing them. Calls made with a rotated key itself ({@code /v1/models}) are not paced: a 429
 * there is that key's own limit.
 */
public class LiteLlmClient {
  private final JsonHttp http;
  private final Supplier<String> managementKey;
  private final GatewayPacing pacing;

  /** A client whose 429s go straight back to the caller (one-off calls: the CLI's checks). */
  public LiteLlmClient(JsonHttp http, Supplier<String> managementKey) {
    this(http, managementKey, GatewayPacing.off());
  }

  public LiteLlmClient(JsonHttp http, Supplier<String> managementKey, GatewayPacing pacing) {
    this.http = http;
    this.managementKey = managementKey;
    this.pacing = pacing;
  }

  public GatewayPacing pacing() {
    return pacing;
  }

  /** {@code GET /key/info?key=} with the management key; the argument is a hash or raw key. */
  public Reply keyInfo(String gateway, String keyOrHash) {
    return managed("GET", gateway, "/key/info?key=" + enc(keyOrHash), null);
  }

  /** {@code GET /key/info} with no argument: the management key describes itself. */
  public Reply selfInfo(String gateway) {
    return managed("GET", gateway, "/key/info", null);
  }

  /** {@code POST /key/generate} with the management key. */
  public Reply generate(String gateway, Map<String, Object> body) {
    return managed("POST", gateway, "/key/generate", HttpBodies.write(body));
  }

  /** {@code POST /key/delete} by token hashes with the management key. */
  public Reply delete(String gateway, List<String> tokenHashes) {
    return managed("POST", gateway, "/key/delete", HttpBodies.write(Map.of("keys", tokenHashes)));
  }

  /** {@code GET /key/list?key_alias=} (exact match) with the management key. */
  public Reply listByAlias(String gateway, String alias) {
    return managed(
        "GET", gateway, "/key/list?key_alias=" + enc(alias) + "&return_full_object=true", null);
  }

  /** {@code GET /v1/models} with the given key itself as bearer. */
  public Reply models(String gateway, String rawKey) {
    return call("GET", gateway, "/v1/models", bearer(rawKey), null);
  }

  /** {@code GET /health/readiness}, no auth. */
  public Reply readiness(String gateway) {
    return call("GET", gateway, "/health/readiness", Map.of(), null);
  }

  /**
   * A call with the management key, paced: waits for its slot, and on a 429 pauses as the proxy
   * asked and sends it again, until the pacing budget is spent; then the 429 goes back to the
   * caller. A 429 means the proxy did not act, so sending the same request again is safe.
   */
  private Reply managed(String method, String gateway, String path, String body) {
    Map<String, String> headers = bearer(admin());
    if (!pacing.enabled()) {
      return call(method, gateway, path, headers, body);
    }
    long budget = pacing.budget().toNanos();
    long waited = 0;
    while (true) {
      long wait = pacing.reserve(gateway);
      if (wait > 0) {
        if (waited + wait > budget) {
          throw ApplicationFailure.newBuilder()
              .setMessage(
                  "LiteLLM at "
                      + gateway
                      + " is throttling management calls; this call's turn is "
                      + wait / 1_000_000
                      + " ms away (retrying then)")
              .setType(RotationFailures.TRANSIENT)
              .setNextRetryDelay(Duration.ofNanos(wait))
              .build();
        }
        sleep(wait);
        waited += wait;
      }
      Reply r = call(method, gateway, path, headers, body);
      if (r.status() != 429) {
        pacing.accepted(gateway);
        return r;
      }
      Duration retryAfter = ProxyError.of(r).retryDelay();
      pacing.throttled(gateway, retryAfter);
      if (waited >= budget) {
        return r;
      }
    }
  }

  private static void sleep(long nanos) {
    try {
      Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApplicationFailure.newFailure(
          "interrupted while waiting for the proxy's throttling to pass (retrying)",
          RotationFailures.TRANSIENT);
    }
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
