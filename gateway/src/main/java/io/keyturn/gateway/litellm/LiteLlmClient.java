package io.keyturn.gateway.litellm;

import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.gateway.http.JsonHttp.TransportException;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.temporal.failure.ApplicationFailure;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The LiteLLM management calls Keyturn makes: typed request bodies in, each answer back as its HTTP
 * reply and its body read as a typed record ({@link Answer}), whatever the status, so the caller
 * classifies refusals itself ({@link ProxyError}). The management key comes from the worker's (or
 * the CLI's) configuration through a supplier, so it is read when needed and never stored in a
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
  /**
   * The metadata field and value the LiteLLM Kubernetes operator puts on the keys it creates
   * (bbdsoftware/litellm-operator, its VirtualKey controller).
   */
  public static final String MANAGED_BY = "managed_by";

  static final String OPERATOR = "litellm-operator";

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

  /**
   * A client on the same HTTP client and pacing that authenticates with {@code managementKey}
   * instead: to prove a new management key before the worker uses it.
   */
  public LiteLlmClient withManagementKey(Supplier<String> managementKey) {
    return new LiteLlmClient(http, managementKey, pacing);
  }

  /** The management key this client sends now (its file re-read), or null when none is set. */
  public String managementKeyNow() {
    return managementKey.get();
  }

  /** {@code GET /key/info?key=} with the management key; the argument is a hash or raw key. */
  public Answer<KeyInfoResponse> keyInfo(String gateway, String keyOrHash) {
    return read(
        managed("GET", gateway, "/key/info?key=" + enc(keyOrHash), null), KeyInfoResponse.class);
  }

  /** {@code GET /key/info} with no argument: the management key describes itself. */
  public Answer<KeyInfoResponse> selfInfo(String gateway) {
    return read(managed("GET", gateway, "/key/info", null), KeyInfoResponse.class);
  }

  /** {@code POST /key/generate} with the management key. */
  public Answer<GenerateKeyResponse> generate(String gateway, GenerateKeyRequest request) {
    return read(
        managed("POST", gateway, "/key/generate", HttpBodies.write(request)),
        GenerateKeyResponse.class);
  }

  /**
   * {@code GET /key/list} with the management key: page {@code page} (from 1) of {@code size} (at
   * most 100) whole rows, oldest first, so keys created while a caller pages on land on later
   * pages.
   */
  public Answer<KeyListResponse> listKeys(String gateway, int page, int size) {
    return read(
        managed(
            "GET",
            gateway,
            "/key/list?return_full_object=true&sort_by=created_at&sort_order=asc&page="
                + page
                + "&size="
                + size,
            null),
        KeyListResponse.class);
  }

  /** {@code POST /key/delete} by token hashes with the management key. */
  public Answer<DeleteKeysResponse> delete(String gateway, List<String> tokenHashes) {
    return read(
        managed(
            "POST", gateway, "/key/delete", HttpBodies.write(new DeleteKeysRequest(tokenHashes))),
        DeleteKeysResponse.class);
  }

  /**
   * {@code POST /key/block} by token hash with the management key ({@code block_key} in
   * litellm/proxy/management_endpoints/key_management_endpoints.py): answers the key's row with
   * {@code blocked: true}, also for a key already blocked. An unknown key: 404 "Key not found." on
   * 1.106, an error on 1.82 (its update of a missing row fails).
   */
  public Answer<KeyInfo> block(String gateway, String tokenHash) {
    return read(
        managed("POST", gateway, "/key/block", HttpBodies.write(Map.of("key", tokenHash))),
        KeyInfo.class);
  }

  /** {@code GET /v1/models} with the given key itself as bearer. */
  public Answer<ModelsResponse> models(String gateway, String rawKey) {
    return read(call("GET", gateway, "/v1/models", bearer(rawKey), null), ModelsResponse.class);
  }

  /** {@code GET /health/readiness}, no auth. */
  public Answer<ReadinessResponse> readiness(String gateway) {
    return read(call("GET", gateway, "/health/readiness", Map.of(), null), ReadinessResponse.class);
  }

  /**
   * The policy of an existing key, for its replacement: every field of its {@code /key/info} row
   * but the relations and ids that describe the old row itself ({@code object_permission}, {@code
   * budget_limits}). Throws {@link RotationFailures#OLD_KEY_NOT_FOUND} when the proxy has no such
   * key (or only its archived deleted row), {@link RotationFailures#OPERATOR_MANAGED} when the
   * LiteLLM Kubernetes operator manages it (it would resurrect the alias Keyturn revoked), and the
   * classified failure ({@link ProxyError#toFailure}) for any other refusal.
   */
  public KeyPolicy policyOf(String gateway, KeyRef key) {
    Answer<KeyInfoResponse> a = keyInfo(gateway, key.tokenHash());
    if (a.status() == 404 || (a.ok() && a.body().info().deleted())) {
      throw ProxyError.nonRetryable(
          RotationFailures.OLD_KEY_NOT_FOUND,
          "the key to replace, "
              + key.fingerprint()
              + ", does not exist at LiteLLM "
              + gateway
              + " (/key/info answered 404). Check the key or hash you gave; a key that was already"
              + " revoked has nothing to rotate.");
    }
    if (!a.ok()) {
      throw a.error().toFailure(gateway, "reading the policy of " + key.fingerprint());
    }
    if (OPERATOR.equals(a.body().info().metadata().get(MANAGED_BY))) {
      throw ProxyError.nonRetryable(
          RotationFailures.OPERATOR_MANAGED,
          "the key to replace, "
              + key.fingerprint()
              + ", is managed by the LiteLLM Kubernetes operator (its metadata says managed_by:"
              + " litellm-operator): the operator finds its key by alias, and once Keyturn revoked"
              + " it the operator would mint a new key under the same alias and overwrite the"
              + " Secret applications read, with a key nobody published. Nothing was minted."
              + " Rotate it through the operator instead (operator: {virtualKey:"
              + " <namespace>/<name>} on the secret in keyturn.yaml, then keyturn"
              + " rotate-operator), or take the key out of the operator's hands first.");
    }
    // The policy is open-ended (whatever fields this release stores), so it is read as a map.
    Map<String, Object> fields =
        new LinkedHashMap<>(HttpBodies.map(HttpBodies.tree(a.reply().body()).path("info")));
    fields.remove("object_permission");
    fields.remove("budget_limits");
    return new KeyPolicy(fields);
  }

  private static <T> Answer<T> read(Reply reply, Class<T> type) {
    return new Answer<>(reply, HttpBodies.read(reply.body(), type));
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
      long drops = pacing.drops(gateway);
      long wait = pacing.reserve(gateway, budget - waited);
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
        if (pacing.pausedFor(gateway) > 0 || pacing.drops(gateway) != drops) {
          continue; // a 429 came while this call slept: its turn was at the old pace
        }
      }
      long sentAt = pacing.now();
      Reply r = call(method, gateway, path, headers, body);
      if (r.status() != 429) {
        pacing.accepted(gateway);
        return r;
      }
      Duration retryAfter = ProxyError.of(r).retryDelay();
      pacing.throttled(gateway, retryAfter, sentAt);
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
