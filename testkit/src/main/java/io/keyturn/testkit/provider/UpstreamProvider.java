package io.keyturn.testkit.provider;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A <b>test double</b> of an OpenAI-compatible upstream provider, over real HTTP on 127.0.0.1:
 * {@code GET /v1/models} and {@code POST /v1/chat/completions} answer only keys it issued and has
 * not revoked (else OpenAI's 401 {@code invalid_api_key}), and OpenAI's organization admin API for
 * project service accounts, called with the admin key only:
 *
 * <ul>
 *   <li>{@code POST /v1/organization/projects/{project}/service_accounts} {@code {"name"}}: a
 *       service account with a new API key, its value shown in this answer only;
 *   <li>{@code GET /v1/organization/projects/{project}/service_accounts}: the list (no key values)
 *       in pages, oldest first, as OpenAI pages it: {@code limit} (1 to 100, 20 by default), {@code
 *       after} (the last id of the page before), {@code has_more};
 *   <li>{@code DELETE /v1/organization/projects/{project}/service_accounts/{id}}: the account and
 *       its keys are gone (404 when it is unknown).
 * </ul>
 *
 * Keys issued with {@link #issueKey()} stand for keys a person created in the provider's console.
 */
public final class UpstreamProvider implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final String adminKey;
  private final String project;
  private final Set<String> liveKeys = ConcurrentHashMap.newKeySet();
  private final Set<String> revoked = ConcurrentHashMap.newKeySet();
  private final Map<String, Account> accounts = new ConcurrentHashMap<>();
  private final Set<String> brittle = ConcurrentHashMap.newKeySet();
  private volatile boolean nextKeyBrittle;
  private final AtomicLong completions = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private HttpServer server;
  private ExecutorService executor;

  private final AtomicLong created = new AtomicLong();

  /** {@code order} is the creation order, which the list pages by. */
  private record Account(
      String id, String name, String keyId, String keyValue, long createdAt, long order) {}

  public UpstreamProvider(String adminKey, String project) {
    this.adminKey = adminKey;
    this.project = project;
  }

  public UpstreamProvider start() {
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    AtomicInteger n = new AtomicInteger();
    executor =
        Executors.newFixedThreadPool(
            16,
            r -> {
              Thread t = new Thread(r, "upstream-provider-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::serve);
    server.start();
    return this;
  }

  /** {@code http://127.0.0.1:PORT}: the admin API's base; the model API is under {@code /v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** What a LiteLLM deployment's {@code api_base} is set to. */
  public String apiBase() {
    return baseUrl() + "/v1";
  }

  /** A key created "in the console": live until {@link #revoke}. */
  public String issueKey() {
    String k = "sk-proj-" + hex(24);
    liveKeys.add(k);
    if (nextKeyBrittle) {
      nextKeyBrittle = false;
      brittle.add(k);
    }
    return k;
  }

  /**
   * A test's fault: the next key this provider issues answers its first model-API call, then
   * refuses every later one (a key the provider disables right after creating it). It passes a
   * check made with it directly and fails the one made through the proxy after it.
   */
  public void nextKeyBreaksAfterFirstUse() {
    nextKeyBrittle = true;
  }

  /** Revokes a key by value, as a person does in the console. */
  public void revoke(String key) {
    if (liveKeys.remove(key)) {
      revoked.add(key);
    }
  }

  public boolean isLive(String key) {
    return liveKeys.contains(key);
  }

  /** Keys live now (console and service-account keys). */
  public int liveKeyCount() {
    return liveKeys.size();
  }

  /** Service accounts that exist now, by name. */
  public List<String> serviceAccounts() {
    return accounts.values().stream().map(Account::name).sorted().toList();
  }

  public long completions() {
    return completions.get();
  }

  /** Model-API calls refused for their key. */
  public long refusedCalls() {
    return refused.get();
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
    if (executor != null) {
      executor.shutdownNow();
    }
  }

  // ------------------------------------------------------------------ HTTP

  private void serve(HttpExchange ex) {
    try (ex) {
      String method = ex.getRequestMethod();
      String path = ex.getRequestURI().getPath();
      String query = ex.getRequestURI().getQuery();
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      String bearer = auth != null && auth.startsWith("Bearer ") ? auth.substring(7).strip() : "";
      byte[] in = ex.getRequestBody().readAllBytes();
      Object[] answer = answer(method, path, query, bearer, new String(in, StandardCharsets.UTF_8));
      byte[] out = JSON.writeValueAsBytes(answer[1]);
      ex.getResponseHeaders().set("content-type", "application/json");
      ex.getResponseHeaders().set("x-keyturn-emulator", "upstream provider test double");
      ex.sendResponseHeaders((Integer) answer[0], out.length);
      try (OutputStream o = ex.getResponseBody()) {
        o.write(out);
      }
    } catch (IOException | RuntimeException e) {
      // client gone: nothing to answer
    }
  }

  private Object[] answer(String method, String path, String query, String bearer, String body)
      throws IOException {
    String accountsPath = "/v1/organization/projects/" + project + "/service_accounts";
    if (path.startsWith("/v1/organization/")) {
      if (!bearer.equals(adminKey)) {
        return error(401, "Invalid admin key provided.", "invalid_api_key");
      }
      if (path.equals(accountsPath) && method.equals("POST")) {
        Map<?, ?> req = body.isBlank() ? Map.of() : JSON.readValue(body, Map.class);
        if (!(req.get("name") instanceof String name) || name.isBlank()) {
          return error(400, "name is required", "invalid_request_error");
        }
        long now = System.currentTimeMillis() / 1000;
        Account a =
            new Account(
                "svc_acct_" + hex(8),
                name,
                "key_" + hex(8),
                issueKey(),
                now,
                created.incrementAndGet());
        accounts.put(a.id(), a);
        Map<String, Object> key = new LinkedHashMap<>();
        key.put("object", "organization.project.service_account.api_key");
        key.put("value", a.keyValue());
        key.put("name", "Secret Key");
        key.put("created_at", now);
        key.put("id", a.keyId());
        Map<String, Object> out = account(a);
        out.put("api_key", key);
        return new Object[] {200, out};
      }
      if (path.equals(accountsPath) && method.equals("GET")) {
        Map<String, String> q = new LinkedHashMap<>();
        for (String kv : query == null ? new String[0] : query.split("&")) {
          int eq = kv.indexOf('=');
          if (eq > 0) {
            q.put(kv.substring(0, eq), kv.substring(eq + 1));
          }
        }
        int limit;
        try {
          limit = Integer.parseInt(q.getOrDefault("limit", "20"));
        } catch (NumberFormatException e) {
          limit = 0;
        }
        if (limit < 1 || limit > 100) {
          return error(400, "limit must be between 1 and 100", "invalid_request_error");
        }
        List<Account> all =
            accounts.values().stream()
                .sorted(java.util.Comparator.comparingLong(Account::order))
                .toList();
        int from = 0;
        if (q.containsKey("after")) {
          from = -1;
          for (int i = 0; i < all.size(); i++) {
            if (all.get(i).id().equals(q.get("after"))) {
              from = i + 1;
            }
          }
          if (from < 0) {
            return error(
                400, "No such service account: " + q.get("after"), "invalid_request_error");
          }
        }
        List<Account> page = all.subList(from, Math.min(all.size(), from + limit));
        List<Object> data = new ArrayList<>();
        page.forEach(a -> data.add(account(a)));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("object", "list");
        out.put("data", data);
        out.put("first_id", page.isEmpty() ? null : page.get(0).id());
        out.put("last_id", page.isEmpty() ? null : page.get(page.size() - 1).id());
        out.put("has_more", from + page.size() < all.size());
        return new Object[] {200, out};
      }
      if (path.startsWith(accountsPath + "/") && method.equals("DELETE")) {
        String id = path.substring(accountsPath.length() + 1);
        Account a = accounts.remove(id);
        if (a == null) {
          return error(404, "No such service account: " + id, "not_found");
        }
        revoke(a.keyValue());
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("object", "organization.project.service_account.deleted");
        out.put("id", id);
        out.put("deleted", true);
        return new Object[] {200, out};
      }
      return error(404, "Unknown admin route " + method + " " + path, "not_found");
    }
    if (brittle.remove(bearer)) {
      liveKeys.remove(bearer); // this call is its last good one
      revoked.add(bearer);
      return path.equals("/v1/models") ? models() : error(401, "disabled", "invalid_api_key");
    }
    if (!liveKeys.contains(bearer)) {
      refused.incrementAndGet();
      return error(
          401,
          "Incorrect API key provided: "
              + (bearer.length() > 8
                  ? bearer.substring(0, 3) + "*****" + bearer.substring(bearer.length() - 4)
                  : "(none)")
              + ". You can find your API key at https://platform.openai.com/account/api-keys.",
          "invalid_api_key");
    }
    if (path.equals("/v1/models") && method.equals("GET")) {
      return models();
    }
    if (path.equals("/v1/chat/completions") && method.equals("POST")) {
      completions.incrementAndGet();
      Map<String, Object> msg = Map.of("role", "assistant", "content", "ok");
      Map<String, Object> choice = new LinkedHashMap<>();
      choice.put("index", 0);
      choice.put("message", msg);
      choice.put("finish_reason", "stop");
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("id", "chatcmpl-" + hex(6));
      out.put("object", "chat.completion");
      out.put("model", "gpt-4o-mini");
      out.put("choices", List.of(choice));
      return new Object[] {200, out};
    }
    return error(404, "Unknown route " + method + " " + path, "not_found");
  }

  private static Object[] models() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", "gpt-4o-mini");
    m.put("object", "model");
    m.put("owned_by", "system");
    return new Object[] {200, Map.of("object", "list", "data", List.of(m))};
  }

  private static Map<String, Object> account(Account a) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("object", "organization.project.service_account");
    out.put("id", a.id());
    out.put("name", a.name());
    out.put("role", "member");
    out.put("created_at", a.createdAt());
    return out;
  }

  private static Object[] error(int status, String message, String code) {
    Map<String, Object> err = new LinkedHashMap<>();
    err.put("message", message);
    err.put("type", "invalid_request_error");
    err.put("param", null);
    err.put("code", code);
    return new Object[] {status, Map.of("error", err)};
  }

  private static String hex(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }
}
