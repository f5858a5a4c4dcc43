package io.keyturn.testkit.launch;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LiteLLM's real proxy (the PyPI package {@code litellm[proxy]}) as a child process on 127.0.0.1,
 * with only its database engine stood in: {@code testkit/src/main/python/run_litellm_proxy.py} puts
 * Keyturn's in-memory test double of the {@code prisma} package first on {@code sys.path}, so
 * LiteLLM's own key management, auth and route handlers answer with their real status codes and
 * bodies. Data lives in memory: a stopped proxy comes back empty.
 *
 * <p>The proxy runs from {@code .tools/py-litellm} (the pinned release) or {@code
 * .tools/py-litellm-<version>}, which {@code scripts/install-tools.sh} creates. The master key
 * reaches the proxy through its environment, never its command line, and is removed from the log.
 * Never downloads anything.
 *
 * <pre>{@code
 * try (LiteLlmProxyServer litellm = LiteLlmProxyServer.builder().build().start()) {
 *   // POST litellm.baseUrl() + "/key/generate" with "Authorization: Bearer " + litellm.masterKey()
 * }
 * }</pre>
 */
public final class LiteLlmProxyServer extends LocalServer {

  /** The release {@code scripts/install-tools.sh} installs into {@code .tools/py-litellm}. */
  public static final String PINNED_VERSION = "1.106.12";

  /** The models the generated config lists when the builder names none. */
  public static final List<String> DEFAULT_MODELS = List.of("gpt-4o-mini", "claude-haiku");

  /** System property naming the start script, when the repository layout cannot be found. */
  public static final String SCRIPT_PROPERTY = "keyturn.litellm.script";

  static final String SCRIPT = "testkit/src/main/python/run_litellm_proxy.py";

  private static final Logger log = LoggerFactory.getLogger(LiteLlmProxyServer.class);
  private static final int START_ATTEMPTS = 3;

  private final String version;
  private final Path python;
  private final Path script;
  private final Path logFile;
  private final String masterKey;
  private final List<String> models;
  private final int requestedPort;
  private final Duration startTimeout;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private LiteLlmProxyServer(Builder b, Path python, Path script, Path logFile, String masterKey) {
    super("LiteLLM proxy");
    this.version = b.version;
    this.python = python;
    this.script = script;
    this.logFile = logFile;
    this.masterKey = masterKey;
    this.models = List.copyOf(b.models);
    this.requestedPort = b.port;
    this.startTimeout = b.startTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the proxy and waits until {@code GET /health/readiness} answers 200 with {@code "db":
   * "connected"}.
   *
   * @return this server
   * @throws IOException if it does not become ready within the start timeout; the message holds the
   *     end of its log
   * @throws IllegalStateException if it is already running
   */
  public synchronized LiteLlmProxyServer start() throws IOException {
    if (isRunning()) {
      throw new IllegalStateException("LiteLLM proxy already running on " + baseUrl());
    }
    IOException last = null;
    int attempts = requestedPort == 0 ? START_ATTEMPTS : 1;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      port = requestedPort == 0 ? FreePorts.pick() : requestedPort;
      try {
        startOnce();
        return this;
      } catch (IOException e) {
        last = e;
        if (!ChildProcess.isPortClash(e) && !e.getMessage().contains("Address already in use")) {
          break;
        }
        log.warn("LiteLLM proxy lost port {} to another process; retrying", port);
      }
    }
    port = 0;
    throw last;
  }

  private void startOnce() throws IOException {
    // A developer's LiteLLM, database and provider settings must not reach the test proxy.
    Map<String, String> env =
        ChildProcess.environmentWithout(
            "LITELLM_",
            "DATABASE_",
            "CONFIG_FILE_PATH",
            "WORKER_CONFIG",
            "PYTHONPATH",
            "OPENAI_",
            "ANTHROPIC_",
            "REDIS_");
    env.put("LITELLM_MASTER_KEY", masterKey);
    List<String> command = new ArrayList<>();
    command.add(python.toString());
    command.add(script.toString());
    command.add("--port");
    command.add(String.valueOf(port));
    for (String model : models) {
      command.add("--model");
      command.add(model);
    }
    process =
        ChildProcess.start(
            "LiteLLM proxy " + version,
            command,
            env,
            logFile,
            line -> line.replace(masterKey, "(master key redacted)"));
    try {
      awaitReady();
    } catch (IOException e) {
      process.stop();
      process = null;
      throw e;
    }
    log.info("LiteLLM proxy {} on {} (pid {}, log {})", version, baseUrl(), process.pid(), logFile);
  }

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw process.notReady("exited before it was ready");
      }
      try {
        HttpResponse<String> readiness = get("/health/readiness");
        if (readiness.statusCode() == 200 && readiness.body().contains("\"db\":\"connected\"")) {
          return;
        }
        last = "GET /health/readiness: " + readiness.statusCode() + " " + readiness.body();
      } catch (IOException e) {
        last = e.toString();
      }
      sleep(Duration.ofMillis(250));
    }
    throw process.notReady("not ready within " + startTimeout + " (" + last + ")");
  }

  private HttpResponse<String> get(String path) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(baseUrl() + path))
            .timeout(Duration.ofSeconds(5))
            .GET()
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for the LiteLLM proxy");
    }
  }

  /** The proxy's address, {@code "http://127.0.0.1:<port>"}. */
  public synchronized String baseUrl() {
    return httpAddress();
  }

  /** The master key (send it as {@code Authorization: Bearer}). A secret: never log it. */
  public String masterKey() {
    return masterKey;
  }

  /** The LiteLLM release this proxy runs. */
  public String version() {
    return version;
  }

  /** The model names its config lists (what {@code /v1/models} answers). */
  public List<String> models() {
    return models;
  }

  public Path logFile() {
    return logFile;
  }

  /** The last {@code lines} lines of the proxy's log (master key removed), for failure messages. */
  public String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(logFile);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log " + logFile + " unreadable: " + e.getMessage() + ")";
    }
  }

  @Override
  public String toString() {
    return "LiteLlmProxyServer[" + version + ", " + (port == 0 ? "not started" : baseUrl()) + "]";
  }

  private static void sleep(Duration duration) throws IOException {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for the LiteLLM proxy");
    }
  }

  /** The {@code .tools} directory holding the virtual environment of {@code version}. */
  static String venvName(String version) {
    return PINNED_VERSION.equals(version) ? "py-litellm" : "py-litellm-" + version;
  }

  static Optional<Path> findScript() {
    String configured = System.getProperty(SCRIPT_PROPERTY);
    if (configured != null && !configured.isBlank()) {
      return Optional.of(Path.of(configured).toAbsolutePath());
    }
    for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        dir != null;
        dir = dir.getParent()) {
      Path candidate = dir.resolve(SCRIPT);
      if (Files.isRegularFile(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  /** Options for a {@link LiteLlmProxyServer}; each setter checks its argument at once. */
  public static final class Builder {
    private String version = PINNED_VERSION;
    private int port;
    private String masterKey;
    private List<String> models = DEFAULT_MODELS;
    private Path logFile;
    private Duration startTimeout = Duration.ofSeconds(120);

    private Builder() {}

    /**
     * The LiteLLM release: {@value #PINNED_VERSION} (default, {@code .tools/py-litellm}) or another
     * one installed as {@code .tools/py-litellm-<version>}.
     */
    public Builder version(String version) {
      Objects.requireNonNull(version, "version");
      if (!version.matches("\\d+\\.\\d+\\.\\d+")) {
        throw new IllegalArgumentException("version must look like 1.106.12: " + version);
      }
      if (version.equals("1.107.0")) {
        throw new IllegalArgumentException(
            "LiteLLM 1.107.0 is never used (a compromised release existed at that version)");
      }
      this.version = version;
      return this;
    }

    /** The port on 127.0.0.1; default 0, a free one. */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0 (free) or 1-65535: " + port);
      }
      this.port = port;
      return this;
    }

    /** The master key; default {@code sk-} and 32 random bytes, URL-safe base64. */
    public Builder masterKey(String masterKey) {
      Objects.requireNonNull(masterKey, "masterKey");
      if (!masterKey.matches("sk-[A-Za-z0-9_-]{29,}")) {
        throw new IllegalArgumentException(
            "masterKey must be sk- and at least 29 characters of [A-Za-z0-9_-] (LiteLLM refuses weak"
                + " master keys)");
      }
      this.masterKey = masterKey;
      return this;
    }

    /** The model names the config lists; default {@link #DEFAULT_MODELS}. */
    public Builder models(List<String> models) {
      Objects.requireNonNull(models, "models");
      if (models.isEmpty()) {
        throw new IllegalArgumentException("models must name at least one model");
      }
      for (String model : models) {
        if (model == null || !model.matches("[A-Za-z0-9._-]+")) {
          throw new IllegalArgumentException("model names are [A-Za-z0-9._-]+: " + model);
        }
      }
      this.models = List.copyOf(models);
      return this;
    }

    /** Where the proxy's output goes (appended, master key removed); default: a temporary file. */
    public Builder logFile(Path logFile) {
      this.logFile = Objects.requireNonNull(logFile, "logFile").toAbsolutePath();
      return this;
    }

    /** How long {@link #start()} waits for readiness; default 120 s (the proxy imports slowly). */
    public Builder startTimeout(Duration startTimeout) {
      Objects.requireNonNull(startTimeout, "startTimeout");
      if (startTimeout.isNegative() || startTimeout.isZero()) {
        throw new IllegalArgumentException("startTimeout must be positive: " + startTimeout);
      }
      this.startTimeout = startTimeout;
      return this;
    }

    /**
     * Resolves the virtual environment, the start script and the log file; starts nothing.
     *
     * @throws IllegalStateException if the virtual environment or the start script is missing
     */
    public LiteLlmProxyServer build() {
      String venv = venvName(version);
      Path dir =
          LocalTools.findDirectory(venv)
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "LiteLLM "
                              + version
                              + " is not installed: no .tools/"
                              + venv
                              + " in "
                              + System.getProperty("user.dir")
                              + " or a directory above it. Run scripts/install-tools.sh"
                              + (PINNED_VERSION.equals(version)
                                  ? ""
                                  : " with KEYTURN_LITELLM_VERSIONS including " + version)
                              + "."));
      Path python = dir.resolve("bin").resolve("python");
      if (!Files.isExecutable(python)) {
        throw new IllegalStateException(
            python + " is missing: .tools/" + venv + " is broken; run scripts/install-tools.sh");
      }
      Path script =
          findScript()
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          SCRIPT
                              + " not found above "
                              + System.getProperty("user.dir")
                              + "; run from the repository or set -D"
                              + SCRIPT_PROPERTY
                              + "=<path>"));
      Path logTo = logFile;
      if (logTo == null) {
        try {
          logTo = Files.createTempFile("keyturn-litellm-", ".log");
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create a temporary log file", e);
        }
      }
      String key = masterKey;
      if (key == null) {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        key = "sk-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      }
      return new LiteLlmProxyServer(this, python, script, logTo, key);
    }
  }
}
