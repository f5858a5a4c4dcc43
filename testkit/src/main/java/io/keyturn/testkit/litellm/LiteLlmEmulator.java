package io.keyturn.testkit.litellm;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The LiteLLM management-API emulator: a <b>test double</b> of the proxy, served over real HTTP on
 * 127.0.0.1. See the package documentation for what it reproduces. Every answer carries the header
 * {@value #EMULATOR_HEADER} so nobody mistakes it for a proxy.
 */
public final class LiteLlmEmulator implements AutoCloseable {
  static {
    // The JDK server writes headers and body separately; without TCP_NODELAY each answer waits
    // for the client's delayed ACK (~40 ms on Linux). Read once, when the server class loads.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  /** Response header naming this server as an emulator. */
  public static final String EMULATOR_HEADER = "x-keyturn-emulator";

  private final Builder settings;
  private final Faults faults = new Faults();
  private final AtomicLong clockOffsetMillis = new AtomicLong();
  private final ManagementApi api;
  private final List<CallRecord> calls = Collections.synchronizedList(new ArrayList<>());
  private HttpServer server;
  private ExecutorService executor;

  private LiteLlmEmulator(Builder b) {
    this.settings = b;
    StoredSecrets stored =
        new StoredSecrets(
            b.masterKey, b.saltKey, b.masterKeySource, b.storedModels, b.storedCredentials);
    stored.configModels(b.configModels);
    if (b.secretManager != null) {
      stored.resolveKeysWith(k -> b.secretManager.resolve(k, now()));
    }
    this.api =
        new ManagementApi(
            b.masterKey,
            b.models,
            b.licensed,
            b.nullParam,
            b.rejectDuplicateKeys,
            b.userRoles,
            faults,
            this::now,
            stored);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Settings, checked as they are given. */
  public static final class Builder {
    private String masterKey;
    private List<String> models = List.of("gpt-4o-mini");
    private String host = "127.0.0.1";
    private int port;
    private int threads = 32;
    private boolean licensed;
    private boolean nullParam;
    private boolean rejectDuplicateKeys;
    private final Map<String, String> userRoles = new ConcurrentHashMap<>();
    private String saltKey;
    private java.util.function.Supplier<String> masterKeySource;
    private List<String> storedModels = List.of();
    private List<String> storedCredentials = List.of();
    private List<String> configModels = List.of();
    private ProxySecretManager secretManager;

    /**
     * {@code key_management_system}: a stored deployment whose {@code api_key} is {@code
     * os.environ/NAME} calls with the value this manager reads (and caches) per request.
     */
    public Builder secretManager(ProxySecretManager manager) {
      this.secretManager = Objects.requireNonNull(manager, "manager");
      return this;
    }

    /**
     * {@code LITELLM_SALT_KEY}: stored values are encrypted with it instead of the master key, so a
     * master-key rotation leaves them alone (unless {@code /key/regenerate} re-encrypts them).
     */
    public Builder saltKey(String saltKey) {
      this.saltKey = Objects.requireNonNull(saltKey, "saltKey");
      return this;
    }

    /**
     * Where the emulated proxy reads {@code LITELLM_MASTER_KEY} when it restarts (the test-double
     * route {@value StoredSecretsEndpoints#RESTART_ROUTE} or {@link LiteLlmEmulator#restart()}).
     */
    public Builder masterKeySource(java.util.function.Supplier<String> source) {
      this.masterKeySource = Objects.requireNonNull(source, "source");
      return this;
    }

    /** Models stored in the proxy's database, their params encrypted (shown by /model/info). */
    public Builder storedModels(List<String> names) {
      this.storedModels = List.copyOf(names);
      return this;
    }

    /**
     * Deployments from the proxy's config.yaml, by model name: {@code /model/info} lists them with
     * {@code db_model: false}, as LiteLLM does; nothing at run time can change them.
     */
    public Builder configModels(List<String> names) {
      this.configModels = List.copyOf(names);
      return this;
    }

    /** Rows of the credentials table, their values encrypted (shown by /credentials). */
    public Builder storedCredentials(List<String> names) {
      this.storedCredentials = List.copyOf(names);
      return this;
    }

    /** The proxy's master key; required, and must start with {@code sk-} as LiteLLM's must. */
    public Builder masterKey(String masterKey) {
      Objects.requireNonNull(masterKey, "masterKey");
      if (!masterKey.startsWith("sk-") || masterKey.length() < 8) {
        throw new IllegalArgumentException("a LiteLLM master key starts with sk- (8+ characters)");
      }
      this.masterKey = masterKey;
      return this;
    }

    /** The models the proxy serves ({@code /v1/models} for a key with no model list). */
    public Builder models(List<String> models) {
      this.models = List.copyOf(models);
      return this;
    }

    /** The interface to bind; 127.0.0.1 unless told otherwise. */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host);
      return this;
    }

    /** The port; 0 (the default) picks a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      this.port = port;
      return this;
    }

    /** Worker threads serving requests. */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be positive");
      }
      this.threads = threads;
      return this;
    }

    /**
     * Licensed (Enterprise) mode: regenerate works and premium fields are accepted. Off by default,
     * as on the community edition.
     */
    public Builder licensed(boolean licensed) {
      this.licensed = licensed;
      return this;
    }

    /** Error envelopes carry {@code "param": null} instead of the string {@code "None"}. */
    public Builder nullParam(boolean nullParam) {
      this.nullParam = nullParam;
      return this;
    }

    /** The behaviour proposed by LiteLLM PR #36435: a duplicate custom key value is a 400. */
    public Builder rejectDuplicateKeys(boolean reject) {
      this.rejectDuplicateKeys = reject;
      return this;
    }

    /**
     * A user row: keys minted with this {@code user_id} act with this role ({@code proxy_admin},
     * {@code proxy_admin_viewer}, {@code internal_user}). Users not named are internal users.
     */
    public Builder user(String userId, String role) {
      userRoles.put(userId, role);
      return this;
    }

    public LiteLlmEmulator build() {
      if (masterKey == null) {
        throw new IllegalStateException("masterKey is required");
      }
      return new LiteLlmEmulator(this);
    }
  }

  /** Starts serving; returns this. */
  public LiteLlmEmulator start() {
    try {
      server = HttpServer.create(new InetSocketAddress(settings.host, settings.port), 128);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "the LiteLLM emulator cannot listen on " + settings.host + ":" + settings.port, e);
    }
    AtomicInteger n = new AtomicInteger();
    executor =
        Executors.newFixedThreadPool(
            settings.threads,
            r -> {
              Thread t = new Thread(r, "litellm-emulator-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::serve);
    server.start();
    return this;
  }

  /** {@code http://127.0.0.1:PORT}, no trailing slash. */
  public String baseUrl() {
    if (server == null) {
      throw new IllegalStateException("not started");
    }
    return "http://" + settings.host + ":" + server.getAddress().getPort();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The fault injection switches. */
  public Faults faults() {
    return faults;
  }

  /** Mints a key as the master key would (no HTTP, no faults); returns its raw value. */
  public String createKey(Map<String, Object> body) {
    return api.createKey(body);
  }

  /** Keys that exist now, oldest first. */
  public List<EmulatedKey> liveKeys() {
    return api.liveKeys();
  }

  /** Keys deleted or regenerated away, as {@code /key/list?status=deleted} would list them. */
  public List<EmulatedKey> deletedKeys() {
    return api.deletedKeys();
  }

  /**
   * Stands in for restarting the proxy's process: the master key is read again from the master-key
   * source. Returns null, or why it failed (the old key then stays). Test double only.
   */
  public String restart() {
    return api.secrets().restart();
  }

  /** The fingerprint (SHA-256 hex) of the master key the emulated process runs with now. */
  public String runningMasterKeyHash() {
    return StoredSecrets.fingerprint(api.secrets().runningMaster());
  }

  /** Stored models and credentials the running process cannot decrypt ({@code kind:name}). */
  public List<String> unreadableStoredValues() {
    return api.secrets().unreadable();
  }

  /**
   * Where stored {@code bedrock/...} deployments check their access key: STS at {@code url}
   * (moto's, with auth enforced). Until set, such a deployment does not answer.
   */
  public void bedrockStsEndpoint(String url) {
    api.secrets().bedrockSts = java.util.Objects.requireNonNull(url, "url");
  }

  /**
   * A fault: the stored model {@code name} fails its health check from the next restart until the
   * one after it (its params still decrypt).
   */
  public void sickAfterNextRestart(String name) {
    api.secrets().sickAfterNextRestart(name);
  }

  /** Every request answered so far (routes only, never a query string). */
  public List<CallRecord> calls() {
    synchronized (calls) {
      return List.copyOf(calls);
    }
  }

  public void clearCalls() {
    calls.clear();
  }

  /** The database toggle behind {@code /health/readiness}'s {@code db} field and key writes. */
  public void dbConnected(boolean connected) {
    api.dbConnected(connected);
  }

  /** Moves the emulator's clock forward (expiry, grace periods) without sleeping. */
  public void advanceClock(Duration by) {
    clockOffsetMillis.addAndGet(by.toMillis());
  }

  /** Drops every key and fault. */
  public void reset() {
    api.reset();
    faults.clear();
    calls.clear();
  }

  Instant now() {
    return Instant.now().plusMillis(clockOffsetMillis.get());
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
      server = null;
    }
    if (executor != null) {
      executor.shutdownNow();
      try {
        executor.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ------------------------------------------------------------------ HTTP

  private void serve(HttpExchange ex) {
    String method = ex.getRequestMethod();
    String route = ex.getRequestURI().getPath();
    try {
      Duration delay = faults.latencyFor(route);
      if (!delay.isZero()) {
        Thread.sleep(delay.toMillis());
      }
      boolean management = route.startsWith("/key/");
      Faults.Injection injected = faults.take(route, management, System.currentTimeMillis());
      Answer answer;
      if (injected != null && injected.kind() == Faults.Kind.DROP) {
        record(method, route, 0, "drop");
        // Closing the exchange before any response header closes the connection: no answer.
        return;
      } else if (injected != null && injected.kind() != Faults.Kind.DROP_REPLY) {
        answer = injectedAnswer(injected);
      } else {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        answer =
            api.handle(method, route, query(ex), h -> ex.getRequestHeaders().getFirst(h), body);
        if (injected != null) {
          record(method, route, answer.status(), injected.kind().name());
          return; // processed, then closed before any response header: the reply is lost
        }
      }
      record(method, route, answer.status(), injected == null ? null : injected.kind().name());
      byte[] bytes = answer.body().getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("content-type", "application/json");
      ex.getResponseHeaders().set(EMULATOR_HEADER, "LiteLLM management-API emulator");
      answer.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
      boolean head = method.equals("HEAD");
      ex.sendResponseHeaders(answer.status(), head ? -1 : bytes.length);
      if (!head) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(bytes);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException | RuntimeException e) {
      // The client went away, or a bug: the exchange is closed either way.
      record(method, route, -1, "error: " + e.getClass().getSimpleName());
    } finally {
      ex.close();
    }
  }

  private Answer injectedAnswer(Faults.Injection f) {
    if (f.kind() == Faults.Kind.RATE_LIMIT || f.kind() == Faults.Kind.CAP) {
      Map<String, Object> err = new LinkedHashMap<>();
      err.put(
          "message",
          "Rate limit exceeded (emulated). Try again in " + f.retryAfterSeconds() + "s.");
      err.put("type", "None");
      err.put("param", "None");
      err.put("code", "429");
      return Answer.json(429, Map.of("error", err))
          .withHeader("retry-after", String.valueOf(f.retryAfterSeconds()));
    }
    // Emulator-made faults always say "None" for param, whatever nullParam says.
    return new ProxyErrors(false).internal(f.status(), "Emulated fault: HTTP " + f.status());
  }

  private void record(String method, String route, int status, String injected) {
    calls.add(new CallRecord(method, route, status, Instant.now(), injected));
  }

  private static Map<String, String> query(HttpExchange ex) {
    Map<String, String> out = new LinkedHashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.putIfAbsent(k, v);
    }
    return out;
  }
}
