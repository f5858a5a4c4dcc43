package io.keyturn.testkit.azure;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * A test double of Azure Key Vault's secrets REST API (api-versions 7.x and the dated ones that
 * follow, e.g. 2025-07-01), in memory, served over plain HTTP or HTTPS ({@link #startHttps}) on
 * loopback. It is not the product and not an emulator anyone ships: no Key Vault emulator can be
 * had here, so this fake stands in for the calls Keyturn's {@code azure-keyvault} store makes,
 * written from Microsoft's REST reference ("Key Vault secrets: Set Secret, Get Secret, Get Secret
 * Versions, Update Secret, Delete Secret, Get/Recover/Purge Deleted Secret"):
 *
 * <ul>
 *   <li>{@code PUT /secrets/{name}}: a new version (32 hex digits) that becomes current;
 *   <li>{@code GET /secrets/{name}[/{version}]}: the current (newest) or a given version; a
 *       disabled version answers 403 {@code Forbidden}/{@code SecretDisabled};
 *   <li>{@code GET /secrets/{name}/versions}: the versions, without values;
 *   <li>{@code PATCH /secrets/{name}/{version}}: content type, tags, {@code enabled};
 *   <li>{@code DELETE /secrets/{name}}: soft delete (recoverable, as every vault is since 2025);
 *       the name then answers 404 to reads and 409 {@code ObjectIsDeletedButRecoverable} to a set;
 *   <li>{@code GET|DELETE /deletedsecrets/{name}}, {@code POST /deletedsecrets/{name}/recover}.
 * </ul>
 *
 * <p>Authentication is Key Vault's challenge: a request without a bearer token gets 401 with {@code
 * WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>",
 * resource="https://vault.azure.net"}; a token the fake does not know gets 401; a token granted
 * read-only access gets 403 {@code AccessDenied} on writes. Secret names are case-insensitive and
 * limited to 1-127 letters, digits and dashes, as in Key Vault.
 *
 * <p>Since the Azure SDK refuses bearer tokens over plain HTTP, a test reaches the fake through an
 * SDK {@code HttpClient} that sends requests addressed to {@link #vaultUrl()} (an https URL such as
 * {@code https://keyturn-test.vault.azure.net}) to {@link #address()} instead. A separate process
 * (the worker) cannot be given that client: it reaches the fake over HTTPS ({@link #startHttps}),
 * trusting a {@link SelfSignedTls} certificate and resolving the vault's host to 127.0.0.1, with a
 * token from {@link AppServiceIdentityFake}.
 */
public final class KeyVaultFake implements AutoCloseable {

  /** What a bearer token may do. */
  public enum Access {
    READ_ONLY,
    READ_WRITE
  }

  public static final String TENANT = "00000000-0000-0000-0000-00000000cafe";
  private static final Pattern NAME = Pattern.compile("[0-9A-Za-z-]{1,127}");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String vaultUrl;
  private final Map<String, Access> tokens = new ConcurrentHashMap<>();
  private final Map<String, Secret> secrets = new LinkedHashMap<>();
  private final List<String> requestLog = new ArrayList<>();
  private final Set<String> refused = ConcurrentHashMap.newKeySet();
  private HttpServer server;

  private static final class Version {
    final String id;
    String value;
    String contentType;
    Map<String, String> tags;
    boolean enabled = true;
    final long created;
    long updated;

    Version(String id, long now) {
      this.id = id;
      this.created = now;
      this.updated = now;
    }
  }

  private static final class Secret {
    final String name;
    final List<Version> versions = new ArrayList<>();
    Long deletedDate;

    Secret(String name) {
      this.name = name;
    }

    Version latest() {
      return versions.get(versions.size() - 1);
    }

    Version version(String id) {
      for (Version v : versions) {
        if (v.id.equalsIgnoreCase(id)) {
          return v;
        }
      }
      return null;
    }
  }

  /**
   * A fake vault whose ids read {@code vaultUrl} (e.g. {@code
   * https://keyturn-test.vault.azure.net}).
   */
  public KeyVaultFake(String vaultUrl) {
    this.vaultUrl = Objects.requireNonNull(vaultUrl, "vaultUrl").replaceAll("/+$", "");
  }

  /** Lets {@code token} in with {@code access}. */
  public KeyVaultFake grant(String token, Access access) {
    tokens.put(token, access);
    return this;
  }

  /** Starts serving on a free loopback port. */
  public KeyVaultFake start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    return this;
  }

  /**
   * Starts serving HTTPS with {@code tls} on a free loopback port, for a client that cannot be
   * given an SDK {@code HttpClient} (a worker process): it must trust the certificate and resolve
   * {@link #vaultUrl()}'s host to 127.0.0.1, and address the vault at {@link #httpsVaultUrl()}.
   */
  public KeyVaultFake startHttps(SSLContext tls) throws IOException {
    HttpsServer https =
        HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    https.setHttpsConfigurator(new HttpsConfigurator(tls));
    server = https;
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
    return this;
  }

  /** Where the fake listens, e.g. {@code http://127.0.0.1:40123}. */
  public String address() {
    return (server instanceof HttpsServer ? "https" : "http")
        + "://127.0.0.1:"
        + server.getAddress().getPort();
  }

  /**
   * {@link #vaultUrl()} with the port the fake listens on, e.g. {@code
   * https://kv.vault.azure.net:40123}.
   */
  public String httpsVaultUrl() {
    return vaultUrl + ":" + server.getAddress().getPort();
  }

  /**
   * Makes every write to secret {@code name} answer 403 {@code AccessDenied}, as Key Vault does for
   * an identity whose access policy lacks the set permission on it; reads still work.
   */
  public KeyVaultFake refuseWrites(String name) {
    refused.add(key(name));
    return this;
  }

  /**
   * The value of {@code name}'s newest version, if the secret exists, is not deleted and is
   * enabled.
   */
  public synchronized Optional<String> currentValue(String name) {
    Secret s = secrets.get(key(name));
    if (s == null || s.deletedDate != null || !s.latest().enabled) {
      return Optional.empty();
    }
    return Optional.of(s.latest().value);
  }

  /** The vault URL the fake stands for (its ids begin with it). */
  public String vaultUrl() {
    return vaultUrl;
  }

  /** {@code METHOD path} of every request served, oldest first. */
  public synchronized List<String> requests() {
    return List.copyOf(requestLog);
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
      ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }
  }

  // ---------------------------------------------------------------- HTTP

  private record Reply(int status, Object body, Map<String, String> headers) {
    Reply(int status, Object body) {
      this(status, body, Map.of());
    }
  }

  private void handle(HttpExchange ex) throws IOException {
    Reply reply;
    try {
      reply = route(ex);
    } catch (RuntimeException e) {
      reply = error(500, "InternalServerError", e.toString(), null);
    }
    byte[] body = reply.body() == null ? new byte[0] : JSON.writeValueAsBytes(reply.body());
    reply.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
    if (body.length > 0) {
      ex.getResponseHeaders().add("Content-Type", "application/json; charset=utf-8");
    }
    ex.getResponseHeaders().add("x-ms-keyvault-service-version", "1.9.0.0");
    ex.sendResponseHeaders(reply.status(), body.length == 0 ? -1 : body.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(body);
    }
  }

  private Reply route(HttpExchange ex) throws IOException {
    String method = ex.getRequestMethod();
    String path = ex.getRequestURI().getPath();
    String query = ex.getRequestURI().getRawQuery();
    byte[] raw = ex.getRequestBody().readAllBytes();
    synchronized (this) {
      requestLog.add(method + " " + path);
    }
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    if (auth == null || !auth.startsWith("Bearer ")) {
      return new Reply(
          401,
          errorBody("Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", null),
          Map.of(
              "WWW-Authenticate",
              "Bearer authorization=\"https://login.microsoftonline.com/"
                  + TENANT
                  + "\", resource=\"https://vault.azure.net\""));
    }
    Access access = tokens.get(auth.substring("Bearer ".length()).trim());
    if (access == null) {
      return new Reply(
          401,
          errorBody("Unauthorized", "AKV10032: Invalid issuer. Expected one of the tenants.", null),
          Map.of(
              "WWW-Authenticate",
              "Bearer authorization=\"https://login.microsoftonline.com/"
                  + TENANT
                  + "\", resource=\"https://vault.azure.net\""));
    }
    if (query == null
        || !query.matches(
            "(.*&)?api-version=(7\\.[0-9]+|20[0-9]{2}-[0-9]{2}-[0-9]{2})(-preview)?(&.*)?")) {
      return error(
          400,
          "BadParameter",
          "The specified version (" + query + ") is not recognized. Consider using 7.6.",
          null);
    }
    JsonNode body = raw.length == 0 ? JSON.createObjectNode() : JSON.readTree(raw);
    // p[0] is "" (the leading slash); the SDK asks for the current version as /secrets/{name}/,
    // whose empty last segment is dropped here.
    String[] p = path.replaceAll("/+$", "").split("/");
    if (p.length >= 3 && p[1].equals("secrets")) {
      String name = p[2];
      if (!NAME.matcher(name).matches()) {
        return error(
            400, "BadParameter", "The request URI contains an invalid name: " + name, null);
      }
      boolean write = !method.equals("GET");
      if (write && (access == Access.READ_ONLY || refused.contains(key(name)))) {
        return denied(method.equals("DELETE") ? "delete" : "set", name);
      }
      synchronized (this) {
        if (p.length == 3 && method.equals("PUT")) {
          return set(name, body);
        }
        if (p.length == 3 && method.equals("GET")) {
          return get(name, null);
        }
        if (p.length == 3 && method.equals("DELETE")) {
          return delete(name);
        }
        if (p.length == 4 && p[3].equals("versions") && method.equals("GET")) {
          return versions(name);
        }
        if (p.length == 4 && method.equals("GET")) {
          return get(name, p[3]);
        }
        if (p.length == 4 && method.equals("PATCH")) {
          return update(name, p[3], body);
        }
      }
    }
    if (p.length >= 3 && p[1].equals("deletedsecrets")) {
      String name = p[2];
      if (!method.equals("GET") && access == Access.READ_ONLY) {
        return denied(method.equals("POST") ? "recover" : "purge", name);
      }
      synchronized (this) {
        if (p.length == 3 && method.equals("GET")) {
          return getDeleted(name);
        }
        if (p.length == 3 && method.equals("DELETE")) {
          return purge(name);
        }
        if (p.length == 4 && p[3].equals("recover") && method.equals("POST")) {
          return recover(name);
        }
      }
    }
    return error(404, "NotFound", "No operation " + method + " " + path, null);
  }

  // ---------------------------------------------------------------- operations

  private Reply set(String name, JsonNode body) {
    if (!body.hasNonNull("value")) {
      return error(400, "BadParameter", "Property value is required.", null);
    }
    Secret s = secrets.get(key(name));
    if (s != null && s.deletedDate != null) {
      return error(
          409,
          "Conflict",
          "Secret "
              + s.name
              + " is currently in a deleted but recoverable state, and its name cannot be reused;"
              + " in this state, the secret can only be recovered or purged.",
          "ObjectIsDeletedButRecoverable");
    }
    if (s == null) {
      s = new Secret(name);
      secrets.put(key(name), s);
    }
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    Version v = new Version(HexFormat.of().formatHex(id), now());
    v.value = body.get("value").asText();
    v.contentType = body.hasNonNull("contentType") ? body.get("contentType").asText() : null;
    v.tags = tags(body);
    JsonNode attributes = body.get("attributes");
    if (attributes != null && attributes.has("enabled")) {
      v.enabled = attributes.get("enabled").asBoolean();
    }
    s.versions.add(v);
    return new Reply(200, bundle(s, v, true));
  }

  private Reply get(String name, String version) {
    Secret s = secrets.get(key(name));
    if (s == null || s.deletedDate != null) {
      return notFound(name, version);
    }
    Version v = version == null ? s.latest() : s.version(version);
    if (v == null) {
      return notFound(name, version);
    }
    if (!v.enabled) {
      return error(
          403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled");
    }
    return new Reply(200, bundle(s, v, true));
  }

  private Reply versions(String name) {
    Secret s = secrets.get(key(name));
    if (s == null || s.deletedDate != null) {
      return notFound(name, null);
    }
    List<Object> items = new ArrayList<>();
    for (Version v : s.versions) {
      ObjectNode item = bundle(s, v, false);
      item.remove("kid");
      items.add(item);
    }
    Map<String, Object> page = new LinkedHashMap<>();
    page.put("value", items);
    page.put("nextLink", null);
    return new Reply(200, page);
  }

  private Reply update(String name, String version, JsonNode body) {
    Secret s = secrets.get(key(name));
    if (s == null || s.deletedDate != null) {
      return notFound(name, version);
    }
    Version v = s.version(version);
    if (v == null) {
      return notFound(name, version);
    }
    if (body.has("contentType")) {
      v.contentType = body.get("contentType").isNull() ? null : body.get("contentType").asText();
    }
    if (body.has("tags")) {
      v.tags = tags(body);
    }
    JsonNode attributes = body.get("attributes");
    if (attributes != null && attributes.has("enabled")) {
      v.enabled = attributes.get("enabled").asBoolean();
    }
    v.updated = now();
    return new Reply(200, bundle(s, v, false));
  }

  private Reply delete(String name) {
    Secret s = secrets.get(key(name));
    if (s == null || s.deletedDate != null) {
      return notFound(name, null);
    }
    s.deletedDate = now();
    return new Reply(200, deletedBundle(s));
  }

  private Reply getDeleted(String name) {
    Secret s = secrets.get(key(name));
    if (s == null || s.deletedDate == null) {
      return error(404, "SecretNotFound", "Deleted Secret not found", null);
    }
    return new Reply(200, deletedBundle(s));
  }

  private Reply recover(String name) {
    Secret s = secrets.get(key(name));
    if (s == null || s.deletedDate == null) {
      return error(404, "SecretNotFound", "Deleted Secret not found", null);
    }
    s.deletedDate = null;
    return new Reply(200, bundle(s, s.latest(), false));
  }

  private Reply purge(String name) {
    Secret s = secrets.get(key(name));
    if (s == null || s.deletedDate == null) {
      return error(404, "SecretNotFound", "Deleted Secret not found", null);
    }
    secrets.remove(key(name));
    return new Reply(204, null);
  }

  // ---------------------------------------------------------------- shapes

  private ObjectNode bundle(Secret s, Version v, boolean withValue) {
    ObjectNode b = JSON.createObjectNode();
    if (withValue) {
      b.put("value", v.value);
    }
    b.put("id", vaultUrl + "/secrets/" + s.name + "/" + v.id);
    if (v.contentType != null) {
      b.put("contentType", v.contentType);
    }
    ObjectNode a = b.putObject("attributes");
    a.put("enabled", v.enabled);
    a.put("created", v.created);
    a.put("updated", v.updated);
    a.put("recoveryLevel", "Recoverable+Purgeable");
    a.put("recoverableDays", 90);
    if (v.tags != null) {
      ObjectNode t = b.putObject("tags");
      v.tags.forEach(t::put);
    }
    return b;
  }

  private ObjectNode deletedBundle(Secret s) {
    ObjectNode b = bundle(s, s.latest(), false);
    b.put("recoveryId", vaultUrl + "/deletedsecrets/" + s.name);
    b.put("deletedDate", s.deletedDate);
    b.put("scheduledPurgeDate", s.deletedDate + 90L * 24 * 3600);
    return b;
  }

  private static Map<String, String> tags(JsonNode body) {
    JsonNode t = body.get("tags");
    if (t == null || t.isNull()) {
      return null;
    }
    Map<String, String> tags = new LinkedHashMap<>();
    t.fields().forEachRemaining(e -> tags.put(e.getKey(), e.getValue().asText()));
    return tags;
  }

  private Reply notFound(String name, String version) {
    return error(
        404,
        "SecretNotFound",
        "A secret with (name/id) "
            + name
            + (version == null ? "" : "/" + version)
            + " was not found in this key vault. If you recently deleted this secret you may be"
            + " able to recover it using the correct recovery command. For help resolving this"
            + " issue, please see https://go.microsoft.com/fwlink/?linkid=2125182",
        null);
  }

  private Reply denied(String permission, String name) {
    return error(
        403,
        "Forbidden",
        "The user, group or application 'appid=keyturn-test' does not have secrets "
            + permission
            + " permission on key vault '"
            + vaultUrl.replaceFirst("^https://", "")
            + "'. For help resolving this issue, please see"
            + " https://go.microsoft.com/fwlink/?linkid=2125287 (secret "
            + name
            + ")",
        "AccessDenied");
  }

  private static Reply error(int status, String code, String message, String inner) {
    return new Reply(status, errorBody(code, message, inner));
  }

  private static Map<String, Object> errorBody(String code, String message, String inner) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", code);
    error.put("message", message);
    if (inner != null) {
      error.put("innererror", Map.of("code", inner));
    }
    return Map.of("error", error);
  }

  private static String key(String name) {
    return name.toLowerCase(Locale.ROOT);
  }

  private static long now() {
    return Instant.now().getEpochSecond();
  }
}
