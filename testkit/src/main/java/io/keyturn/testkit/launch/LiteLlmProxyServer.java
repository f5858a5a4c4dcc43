package io.keyturn.testkit.launch;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

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

  private final String version;
  private final Path python;
  private final Path script;
  private final String masterKey;
  private final List<String> models;
  private final int requestedPort;

  private LiteLlmProxyServer(Builder b, Path python, Path script, Path logFile, String masterKey) {
    super("LiteLLM proxy", logFile, b.startTimeout, Duration.ofMillis(250));
    this.version = b.version;
    this.python = python;
    this.script = script;
    this.masterKey = masterKey;
    this.models = List.copyOf(b.models);
    this.requestedPort = b.port;
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
    startOnFreePorts(requestedPort == 0 ? START_ATTEMPTS : 1);
    return this;
  }

  @Override
  protected void pickPorts() {
    port = requestedPort == 0 ? FreePorts.pick() : requestedPort;
  }

  @Override
  protected void startOnce() throws IOException {
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
    // /model/new, /model/delete store deployments in the database only with this (a provider-key
    // rotation's dual deployments); without it they answer 500 "Set STORE_MODEL_IN_DB".
    env.put("STORE_MODEL_IN_DB", "True");
    List<String> command = new ArrayList<>();
    command.add(python.toString());
    command.add(script.toString());
    command.add("--port");
    command.add(String.valueOf(port));
    for (String model : models) {
      command.add("--model");
      command.add(model);
    }
    launch(
        "LiteLLM proxy " + version,
        command,
        env,
        line -> line.replace(masterKey, "(master key redacted)"));
  }

  @Override
  protected String notReadyYet() throws IOException {
    HttpResponse<String> readiness = get("/health/readiness", Duration.ofSeconds(5));
    if (readiness.statusCode() == 200 && readiness.body().contains("\"db\":\"connected\"")) {
      return null;
    }
    return "GET /health/readiness: " + readiness.statusCode() + " " + readiness.body();
  }

  /** The proxy's address, {@code "http://127.0.0.1:<port>"}. */
  public synchronized String baseUrl() {
    return address();
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

  /** The last {@code lines} lines of the proxy's log (master key removed), for failure messages. */
  public String logTail(int lines) {
    return ChildProcess.tail(logFile(), lines);
  }

  @Override
  public String toString() {
    return "LiteLlmProxyServer[" + version + ", " + (port == 0 ? "not started" : baseUrl()) + "]";
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

  /**
   * Options for a {@link LiteLlmProxyServer}; each setter checks its argument at once. Defaults: a
   * temporary log file (master key removed); a start timeout of 120 s (the proxy imports slowly).
   */
  public static final class Builder extends Options<Builder> {
    private String version = PINNED_VERSION;
    private int port;
    private String masterKey;
    private List<String> models = DEFAULT_MODELS;

    private Builder() {
      super(Duration.ofSeconds(120));
    }

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
      Path logTo = logFile != null ? logFile : temporaryLogFile("keyturn-litellm-");
      String key = masterKey != null ? masterKey : randomSecret("sk-");
      return new LiteLlmProxyServer(this, python, script, logTo, key);
    }
  }
}
