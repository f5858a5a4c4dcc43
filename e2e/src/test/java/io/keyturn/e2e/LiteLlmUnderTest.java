package io.keyturn.e2e;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.launch.LiteLlmProxyServer;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The LiteLLM an end-to-end test rotates keys on: the emulator (a test double, fast) or LiteLLM's
 * own proxy code on the prisma stand-in (the reference). Tests see either one only through the
 * management API, as Keyturn and its users do, so the same assertions hold both to account.
 */
final class LiteLlmUnderTest implements AutoCloseable {

  /** One live key as {@code /key/list?return_full_object=true} describes it (no raw value). */
  record LiveKey(
      String tokenHash, String keyAlias, List<String> models, Map<String, Object> metadata) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private final String name;
  private final String baseUrl;
  private final String masterKey;
  private final AutoCloseable server;
  private final LiteLlmProxyServer proxy;

  private LiteLlmUnderTest(
      String name, String baseUrl, String masterKey, AutoCloseable server, LiteLlmProxyServer p) {
    this.name = name;
    this.baseUrl = baseUrl;
    this.masterKey = masterKey;
    this.server = server;
    this.proxy = p;
  }

  /** The in-process emulator, listing {@code models}. */
  static LiteLlmUnderTest emulator(String masterKey, List<String> models) {
    LiteLlmEmulator e = LiteLlmEmulator.builder().masterKey(masterKey).models(models).build();
    e.start();
    return new LiteLlmUnderTest("LiteLLM emulator", e.baseUrl(), masterKey, e, null);
  }

  /**
   * LiteLLM's real proxy code, release {@link LiteLlmProxyServer#PINNED_VERSION}, started and ready
   * (about 10-16 s), logging to {@code log}.
   */
  static LiteLlmUnderTest realProxy(String masterKey, List<String> models, Path log)
      throws IOException {
    LiteLlmProxyServer p =
        LiteLlmProxyServer.builder().masterKey(masterKey).models(models).logFile(log).build();
    p.start();
    return new LiteLlmUnderTest(
        "LiteLLM " + p.version() + " (real proxy)", p.baseUrl(), masterKey, p, p);
  }

  String baseUrl() {
    return baseUrl;
  }

  String masterKey() {
    return masterKey;
  }

  @Override
  public String toString() {
    return name + " on " + baseUrl;
  }

  /** The end of the real proxy's log, for failure messages; empty for the emulator. */
  String logTail() {
    return proxy == null ? "" : "\n--- " + name + " log tail ---\n" + proxy.logTail(40);
  }

  /** {@code POST /key/generate} with the master key; returns the new key's raw value. */
  String createKey(Map<String, Object> body) throws IOException, InterruptedException {
    HttpResponse<String> r =
        call("POST", "/key/generate", masterKey, JSON.writeValueAsString(body));
    if (r.statusCode() != 200) {
      throw new AssertionError(
          this + ": /key/generate answered " + r.statusCode() + " " + r.body() + logTail());
    }
    return JSON.readTree(r.body()).path("key").asText();
  }

  /** Every live key, through {@code /key/list?return_full_object=true}, page by page. */
  List<LiveKey> liveKeys() throws IOException, InterruptedException {
    List<LiveKey> out = new ArrayList<>();
    for (int page = 1; ; page++) {
      HttpResponse<String> r =
          call("GET", "/key/list?return_full_object=true&size=100&page=" + page, masterKey, null);
      if (r.statusCode() != 200) {
        throw new AssertionError(
            this + ": /key/list answered " + r.statusCode() + " " + r.body() + logTail());
      }
      JsonNode body = JSON.readTree(r.body());
      for (JsonNode k : body.path("keys")) {
        out.add(
            new LiveKey(
                k.path("token").asText(),
                k.path("key_alias").isTextual() ? k.path("key_alias").asText() : null,
                JSON.convertValue(k.path("models"), new TypeReference<List<String>>() {}),
                k.path("metadata").isObject()
                    ? JSON.convertValue(k.path("metadata"), new TypeReference<>() {})
                    : Map.of()));
      }
      if (page >= body.path("total_pages").asInt(1)) {
        return out;
      }
    }
  }

  /**
   * Live keys whose alias starts with {@code prefix} ({@code /key/list} filters aliases exactly).
   */
  List<LiveKey> liveKeysWithAliasPrefix(String prefix) throws IOException, InterruptedException {
    return liveKeys().stream()
        .filter(k -> k.keyAlias() != null && k.keyAlias().startsWith(prefix))
        .toList();
  }

  /** Whether a key with this token hash is listed as live. */
  boolean isLive(String tokenHash) throws IOException, InterruptedException {
    return liveKeys().stream().anyMatch(k -> k.tokenHash().equals(tokenHash));
  }

  /** The status {@code GET /v1/models} answers to an application holding {@code rawKey}. */
  int bearerStatus(String rawKey) throws IOException, InterruptedException {
    return call("GET", "/v1/models", rawKey, null).statusCode();
  }

  private HttpResponse<String> call(String method, String path, String bearer, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(baseUrl + path))
            .timeout(Duration.ofSeconds(30))
            .header("Authorization", "Bearer " + bearer)
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Override
  public void close() throws Exception {
    server.close();
  }
}
