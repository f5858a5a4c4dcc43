package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.launch.LiteLlmProxyServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;

/**
 * Shared plumbing of the LiteLLM conformance suite: which proxy a case runs against, a tiny HTTP
 * client over {@link HttpClient} and Jackson, and the assertions for the proxy's error shapes
 * ({@code ProxyException} in {@code litellm/proxy/_types.py} and {@code handle_exception_on_proxy}
 * in {@code litellm/proxy/utils.py} of BerriAI/litellm).
 *
 * <p>Every case takes a {@link Target}. {@link #open(Target)} gives a fresh in-process {@link
 * LiteLlmEmulator} for {@link Target#EMULATOR}; for {@link Target#REAL_PROXY} it uses {@code
 * LITELLM_URL} and {@code LITELLM_MASTER_KEY}, or skips the case saying why. Cases that need an
 * emulator-only control (faults, the clock, licensed mode, user roles, the DB toggle) use {@link
 * #openEmulator} and are skipped on the real proxy. Keys created on a real proxy are deleted after
 * each case, and aliases carry a random suffix.
 */
abstract class LiteLlmConformanceBase {
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10))
          .build();
  static final SecureRandom RANDOM = new SecureRandom();
  static final String EMULATOR_MASTER = "sk-conformance-master-" + randomSuffix(16);
  static final List<String> EMULATOR_MODELS = List.of("gpt-4o-mini", "claude-haiku");
  static final long MODEL_CREATED = 1677610602L;

  static final String ENV_URL = "LITELLM_URL";
  static final String ENV_MASTER = "LITELLM_MASTER_KEY";
  static final String ENV_LICENSED = "LITELLM_LICENSED";

  /**
   * Where a case runs: the emulator; LiteLLM's own proxy code from PyPI (each tested release, on
   * the prisma stand-in, started once per test JVM); a deployed proxy named by {@code LITELLM_URL}.
   */
  enum Target {
    EMULATOR("emulator", null),
    LITELLM_1_106("LiteLLM 1.106.12 code", "1.106.12"),
    LITELLM_1_82("LiteLLM 1.82.3 code", "1.82.3"),
    REAL_PROXY("deployed proxy", null);

    private final String label;
    final String version;

    Target(String label, String version) {
      this.label = label;
      this.version = version;
    }

    /** LiteLLM's own code, run here (not a deployed proxy). */
    boolean isRealCode() {
      return version != null;
    }

    /** Anything but the emulator. */
    boolean isReal() {
      return this != EMULATOR;
    }

    @Override
    public String toString() {
      return label;
    }
  }

  /**
   * Whether the proxy answers as LiteLLM releases before 1.106 did (1.82.3 is the one tested). The
   * emulator and a deployed proxy are taken as the newest tested release (1.106.12).
   */
  static boolean older(Proxy p) {
    return p.target == Target.LITELLM_1_82;
  }

  /**
   * /key/info of a key deleted by /key/delete: 1.106.12 answers 200 from the deleted-keys archive
   * with {@code info.status "deleted"}; 1.82.3 answers 404 "Key not found in database".
   */
  static void assertDeletedOnInfo(Proxy p, String hash) {
    Resp r = p.info(hash);
    if (older(p)) {
      assertShapeA(r, 404, "not_found_error");
      return;
    }
    assertThat(r.status()).as("/key/info of deleted %s: %s", hash, r).isEqualTo(200);
    JsonNode info = r.json().path("info");
    assertThat(info.path("status").asText()).as("info.status of %s", r).isEqualTo("deleted");
    assertThat(info.path("deleted_at").isTextual()).as("deleted_at in %s", r).isTrue();
  }

  /** The real-code proxies, one per release, started on first use and stopped when the JVM ends. */
  private static final Map<String, LiteLlmProxyServer> REAL_CODE = new LinkedHashMap<>();

  static synchronized LiteLlmProxyServer realCode(String version) {
    LiteLlmProxyServer running = REAL_CODE.get(version);
    if (running != null && running.isRunning()) {
      return running;
    }
    LiteLlmProxyServer proxy =
        LiteLlmProxyServer.builder().version(version).models(EMULATOR_MODELS).build();
    try {
      proxy.start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (REAL_CODE.isEmpty()) {
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    synchronized (LiteLlmConformanceBase.class) {
                      REAL_CODE.values().forEach(LiteLlmProxyServer::close);
                    }
                  }));
    }
    REAL_CODE.put(version, proxy);
    return proxy;
  }

  private final List<Proxy> opened = new ArrayList<>();

  /** The proxy for this case: a fresh emulator, or the real proxy (skipped when not configured). */
  Proxy open(Target target) {
    if (target.isRealCode()) {
      LiteLlmProxyServer server = realCode(target.version);
      Proxy p = new Proxy(target, server.baseUrl(), server.masterKey(), null, false);
      opened.add(p);
      return p;
    }
    if (target == Target.REAL_PROXY) {
      String url = System.getenv(ENV_URL);
      String master = System.getenv(ENV_MASTER);
      Assumptions.assumeTrue(
          url != null && !url.isBlank() && master != null && !master.isBlank(),
          "SKIPPED against a real LiteLLM proxy: set both "
              + ENV_URL
              + " and "
              + ENV_MASTER
              + " to run this case against one (it ran against the in-process emulator).");
      String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
      Proxy p =
          new Proxy(target, base, master, null, Boolean.parseBoolean(System.getenv(ENV_LICENSED)));
      opened.add(p);
      return p;
    }
    return openEmulator(target, "", b -> {});
  }

  /**
   * A fresh emulator configured by {@code config}. On the real proxy the case is skipped: {@code
   * why} names the emulator-only control it needs.
   */
  Proxy openEmulator(Target target, String why, Consumer<LiteLlmEmulator.Builder> config) {
    Assumptions.assumeTrue(
        target == Target.EMULATOR,
        "SKIPPED against a real LiteLLM proxy: emulator-only case (" + why + ").");
    LiteLlmEmulator.Builder b =
        LiteLlmEmulator.builder().masterKey(EMULATOR_MASTER).models(EMULATOR_MODELS);
    config.accept(b);
    LiteLlmEmulator emulator = b.build().start();
    Proxy p = new Proxy(target, emulator.baseUrl(), EMULATOR_MASTER, emulator, false);
    opened.add(p);
    return p;
  }

  @AfterEach
  void cleanUp() {
    for (Proxy p : opened) {
      try {
        if (p.emulator == null && !p.created.isEmpty()) {
          // Real proxy: delete by hash every key this case created. 404 = already gone.
          Resp r = p.post("/key/delete", p.master, Map.of("keys", List.copyOf(p.created)));
          assertThat(r.status()).as("cleanup of %s: %s", p.created, r.body()).isIn(200, 404);
        }
      } finally {
        if (p.emulator != null) {
          p.emulator.close();
        }
      }
    }
    opened.clear();
  }

  // ------------------------------------------------------------------ the proxy under test

  /** One proxy (emulator or real) and the keys a case created on it. */
  static final class Proxy {
    final Target target;
    final String baseUrl;
    final String master;
    final LiteLlmEmulator emulator;
    final boolean licensed;
    final Set<String> created = new LinkedHashSet<>();

    Proxy(
        Target target, String baseUrl, String master, LiteLlmEmulator emulator, boolean licensed) {
      this.target = target;
      this.baseUrl = baseUrl;
      this.master = master;
      this.emulator = emulator;
      this.licensed = licensed;
    }

    boolean isEmulator() {
      return emulator != null;
    }

    /** A unique alias: real proxies are shared, so never reuse a name. */
    String alias(String label) {
      return "kt-conf-" + label + "-" + randomSuffix(10);
    }

    /** A unique user id. */
    String userId(String label) {
      return "kt-conf-user-" + label + "-" + randomSuffix(8);
    }

    Resp get(String pathAndQuery, String bearer) {
      return send("GET", pathAndQuery, bearer == null ? Map.of() : bearerHeader(bearer), null);
    }

    Resp post(String path, String bearer, Object body) {
      return send("POST", path, bearer == null ? Map.of() : bearerHeader(bearer), body);
    }

    /** Any request; {@code body} is serialised to JSON unless it is a String (sent as is). */
    Resp send(String method, String path, Map<String, String> headers, Object body) {
      try {
        return sendOrThrow(HTTP, method, path, headers, body);
      } catch (IOException e) {
        throw new UncheckedIOException(method + " " + path + " failed", e);
      }
    }

    Resp sendOrThrow(
        HttpClient client, String method, String path, Map<String, String> headers, Object body)
        throws IOException {
      HttpRequest.Builder rb =
          HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30));
      headers.forEach(rb::header);
      if (body == null) {
        rb.method(method, HttpRequest.BodyPublishers.noBody());
      } else {
        String text = body instanceof String s ? s : toJson(body);
        rb.header("content-type", "application/json");
        rb.method(method, HttpRequest.BodyPublishers.ofString(text, StandardCharsets.UTF_8));
      }
      try {
        HttpResponse<String> r =
            client.send(rb.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        return new Resp(r.statusCode(), r.headers(), r.body(), parse(r.body()));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted", e);
      }
    }

    /** POST /key/generate as the master key; remembers the key for cleanup when it is minted. */
    Resp generate(Map<String, Object> body) {
      Resp r = post("/key/generate", master, body);
      if (r.status() == 200 && r.json() != null && r.json().path("token_id").isTextual()) {
        created.add(r.json().path("token_id").asText());
      }
      return r;
    }

    /** Mints a key that must succeed. */
    Key newKey(Map<String, Object> body) {
      Resp r = generate(body);
      assertThat(r.status()).as("generate %s -> %s", body, r.body()).isEqualTo(200);
      JsonNode j = r.json();
      return new Key(j.path("key").asText(), j.path("token_id").asText(), j);
    }

    /** Mints a key with a fresh alias plus the given fields. */
    Key newKey(String label, Object... fields) {
      Map<String, Object> body = body(fields);
      body.putIfAbsent("key_alias", alias(label));
      return newKey(body);
    }

    /** /key/info as the master key. */
    Resp info(String key) {
      return get("/key/info?key=" + enc(key), master);
    }

    /** Remembers a hash for cleanup (e.g. a key minted another way). */
    void track(String hash) {
      created.add(hash);
    }

    LiteLlmEmulator emulator() {
      assertThat(emulator).as("emulator").isNotNull();
      return emulator;
    }

    /** The models the proxy serves, as the master key sees them. */
    List<String> proxyModels() {
      Resp r = get("/v1/models", master);
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      List<String> ids = new ArrayList<>();
      r.json().path("data").forEach(m -> ids.add(m.path("id").asText()));
      return ids;
    }
  }

  /** A key minted by a case: raw value, hash and the generate response. */
  record Key(String raw, String hash, JsonNode generated) {
    String alias() {
      return generated.path("key_alias").asText(null);
    }
  }

  /** One HTTP answer; {@code json} is null when the body is not JSON. */
  record Resp(int status, HttpHeaders headers, String body, JsonNode json) {
    JsonNode error() {
      return json == null ? JSON.missingNode() : json.path("error");
    }

    String message() {
      return error().path("message").asText();
    }

    @Override
    public String toString() {
      return status + " " + body;
    }
  }

  // ------------------------------------------------------------------ assertions on error shapes

  /**
   * Shape A ({@code ProxyException}): {@code {"error": {message, type, param, code}}} with {@code
   * code} the status as a <b>string</b> and {@code param} the string "None" or JSON null unless a
   * value is expected.
   */
  static JsonNode assertShapeA(Resp r, int status, String type) {
    assertThat(r.status()).as("status of %s", r).isEqualTo(status);
    assertThat(r.json()).as("JSON body of %s", r).isNotNull();
    JsonNode err = r.json().path("error");
    assertThat(err.isObject()).as("an \"error\" object in %s", r).isTrue();
    assertThat(err.path("message").isTextual()).as("error.message is text in %s", r).isTrue();
    assertThat(err.path("code").isTextual()).as("error.code is a string in %s", r).isTrue();
    assertThat(err.path("code").asText()).as("error.code").isEqualTo(String.valueOf(status));
    if (type != null) {
      assertThat(err.path("type").asText()).as("error.type of %s", r).isEqualTo(type);
    }
    assertThat(err.has("param")).as("error.param present in %s", r).isTrue();
    return err;
  }

  /** {@code param} is LiteLLM's default: the string "None" or JSON null. */
  static void assertDefaultParam(Resp r) {
    JsonNode param = r.error().path("param");
    assertThat(param.isNull() || "None".equals(param.textValue()))
        .as("param is \"None\" or null in %s", r)
        .isTrue();
  }

  /**
   * Shape B (an {@code HTTPException} through {@code handle_exception_on_proxy}): shape A, type
   * internal_server_error, whose message is the Python repr of {@code {'error': ...}}, containing
   * {@code text}.
   */
  static void assertShapeB(Resp r, int status, String text) {
    assertShapeA(r, status, "internal_server_error");
    assertDefaultParam(r);
    assertThat(r.message()).as("Python dict repr in %s", r).startsWith("{'error': ").endsWith("}");
    assertThat(r.message()).contains(text);
  }

  /** Shape C: FastAPI's {@code {"detail": ...}} and nothing else. */
  static JsonNode assertDetail(Resp r, int status) {
    assertThat(r.status()).as("status of %s", r).isEqualTo(status);
    assertThat(r.json()).as("JSON body of %s", r).isNotNull();
    assertThat(r.json().has("detail")).as("\"detail\" in %s", r).isTrue();
    assertThat(r.json().has("error")).as("no \"error\" in %s", r).isFalse();
    return r.json().path("detail");
  }

  /** FastAPI's 422: {@code {"detail": [{loc, msg, type, ...}]}}. */
  static JsonNode assertValidationError(Resp r) {
    JsonNode detail = assertDetail(r, 422);
    assertThat(detail.isArray() && detail.size() > 0).as("detail list in %s", r).isTrue();
    for (JsonNode item : detail) {
      assertThat(item.path("loc").isArray()).as("loc in %s", item).isTrue();
      assertThat(item.path("msg").isTextual()).as("msg in %s", item).isTrue();
      assertThat(item.path("type").isTextual()).as("type in %s", item).isTrue();
    }
    return detail;
  }

  // ------------------------------------------------------------------ helpers

  static Map<String, String> bearerHeader(String key) {
    return Map.of("Authorization", "Bearer " + key);
  }

  /** A JSON object body from name/value pairs; values may be null. */
  static Map<String, Object> body(Object... kv) {
    if (kv.length % 2 != 0) {
      throw new IllegalArgumentException("name/value pairs expected");
    }
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  /** Lowercase hex SHA-256 of the UTF-8 bytes: computed here, independently of the emulator. */
  static String sha256(String s) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String randomSuffix(int n) {
    String alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
    StringBuilder sb = new StringBuilder(n);
    for (int i = 0; i < n; i++) {
      sb.append(alphabet.charAt(RANDOM.nextInt(alphabet.length())));
    }
    return sb.toString();
  }

  /** A syntactically valid key nobody minted. */
  static String unknownRawKey() {
    return "sk-unknown" + randomSuffix(20);
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String toJson(Object o) {
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  static JsonNode parse(String body) {
    if (body == null || body.isEmpty()) {
      return null;
    }
    try {
      return JSON.readTree(body);
    } catch (JsonProcessingException e) {
      return null;
    }
  }

  /**
   * ISO-8601 parsed leniently: with Z (pydantic response models), with an offset (dict answers), or
   * naive (taken as UTC), as the tested releases write dates.
   */
  static Instant instant(JsonNode n) {
    assertThat(n.isTextual()).as("a datetime string, got %s", n).isTrue();
    String s = n.asText();
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
    }
  }

  static List<String> texts(JsonNode array) {
    assertThat(array.isArray()).as("a JSON array, got %s", array).isTrue();
    List<String> out = new ArrayList<>();
    array.forEach(x -> out.add(x.asText()));
    return out;
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Lets time pass for the proxy: the emulator's clock jumps, a real proxy is waited for (only used
   * for short spans).
   */
  static void pass(Proxy p, Duration d) {
    if (p.isEmulator()) {
      p.emulator.advanceClock(d);
    } else {
      sleep(d);
    }
  }
}
