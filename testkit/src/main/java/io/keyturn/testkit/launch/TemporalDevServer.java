package io.keyturn.testkit.launch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Temporal CLI's dev server ({@code temporal server start-dev}), a real Temporal server with
 * SQLite persistence, as a child process on 127.0.0.1.
 *
 * <p>{@link #start()} picks free ports; {@link #restart()} stops the server and starts it again on
 * the same port with the same database file, so workflows, timers and namespaces survive it, the
 * way they survive a real server restart. Never downloads anything: the binary comes from {@link
 * LocalTools} unless {@link Builder#temporalBinary(Path)} names one.
 *
 * <pre>{@code
 * try (TemporalDevServer temporal = TemporalDevServer.builder()
 *         .searchAttribute("KeyturnSecretId", "Keyword")
 *         .build()
 *         .start()) {
 *   String target = temporal.address(); // "127.0.0.1:<port>"
 * }
 * }</pre>
 */
public final class TemporalDevServer extends LocalServer {

  /** The search attribute types {@code --search-attribute} accepts. */
  public static final Set<String> SEARCH_ATTRIBUTE_TYPES =
      Set.of("Text", "Keyword", "Int", "Double", "Bool", "Datetime", "KeywordList");

  private static final Logger log = LoggerFactory.getLogger(TemporalDevServer.class);
  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_.-]*");

  private final Path binary;
  private final Path dbFile;
  private final boolean ownsDbFile;
  private final String namespace;
  private final Map<String, String> searchAttributes;
  private final boolean uiEnabled;
  private final String uiCodecEndpoint;
  private final Map<String, String> dynamicConfig;
  private final Map<String, String> sqlitePragmas;

  private int uiPort;

  private TemporalDevServer(Builder b, Path binary, Path dbFile, boolean ownsDbFile, Path logFile) {
    super("Temporal dev server", logFile, b.startTimeout, Duration.ofMillis(200));
    this.binary = binary;
    this.dbFile = dbFile;
    this.ownsDbFile = ownsDbFile;
    this.namespace = b.namespace;
    this.searchAttributes = Collections.unmodifiableMap(new LinkedHashMap<>(b.searchAttributes));
    this.uiEnabled = b.uiEnabled;
    this.uiCodecEndpoint = b.uiCodecEndpoint;
    this.dynamicConfig = Collections.unmodifiableMap(new LinkedHashMap<>(b.dynamicConfig));
    this.sqlitePragmas = Collections.unmodifiableMap(new LinkedHashMap<>(b.sqlitePragmas));
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the server and waits until its frontend reports SERVING. The first start picks free
   * ports (retrying if another process takes one first); later starts reuse them. {@link #stop()}
   * keeps the ports and the database file, so a later start brings the same server back.
   *
   * @return this server
   * @throws IOException if the server does not become healthy within the start timeout; the message
   *     holds the end of its log
   * @throws IllegalStateException if it is already running
   */
  public synchronized TemporalDevServer start() throws IOException {
    if (port != 0 && !isRunning()) {
      startOnce();
    } else {
      startOnFreePorts(START_ATTEMPTS);
    }
    return this;
  }

  @Override
  protected void pickPorts() {
    port = FreePorts.pick();
    uiPort = uiEnabled ? FreePorts.pick() : 0;
  }

  @Override
  protected void forgetPorts() {
    port = 0;
    uiPort = 0;
  }

  @Override
  protected void startOnce() throws IOException {
    for (int needed : uiEnabled ? List.of(port, uiPort) : List.of(port)) {
      if (!FreePorts.isFree(needed)) {
        throw new ChildProcess.PortTakenException(
            "cannot start the Temporal dev server: 127.0.0.1:"
                + needed
                + " is taken by another process");
      }
    }
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of("server", "start-dev", "--ip", "127.0.0.1", "--port", "" + port));
    command.addAll(List.of("--db-filename", dbFile.toString()));
    if (!"default".equals(namespace)) {
      command.addAll(List.of("--namespace", namespace));
    }
    if (uiEnabled) {
      command.addAll(List.of("--ui-port", "" + uiPort));
      if (uiCodecEndpoint != null) {
        command.addAll(List.of("--ui-codec-endpoint", uiCodecEndpoint));
      }
    } else {
      command.add("--headless");
    }
    searchAttributes.forEach(
        (name, type) -> command.addAll(List.of("--search-attribute", name + "=" + type)));
    dynamicConfig.forEach(
        (key, json) -> command.addAll(List.of("--dynamic-config-value", key + "=" + json)));
    sqlitePragmas.forEach(
        (key, value) -> command.addAll(List.of("--sqlite-pragma", key + "=" + value)));
    command.addAll(List.of("--log-format", "json", "--log-level", "warn"));

    launch("Temporal dev server", command, cliEnvironment(), UnaryOperator.identity());
  }

  @Override
  protected String notReadyYet() throws IOException {
    if (!FreePorts.isListening(port)) {
      return "not listening on 127.0.0.1:" + port;
    }
    CommandResult health =
        ChildProcess.run(
            List.of(
                binary.toString(),
                "operator",
                "cluster",
                "health",
                "--address",
                address(),
                "--command-timeout",
                "5s"),
            cliEnvironment(),
            Duration.ofSeconds(15));
    if (health.succeeded() && health.output().contains("SERVING")) {
      return null;
    }
    return "last health check: " + health.output().strip();
  }

  /**
   * Kills the server with SIGKILL, as a crash would: no clean shutdown of its SQLite file. Keeps
   * the ports and the database file, so {@link #start()} brings the same server back. Idempotent.
   */
  public synchronized void kill() {
    if (process != null) {
      process.kill();
      process = null;
      log.info("Temporal dev server on {} killed", address());
    }
  }

  /**
   * Stops the server if it runs and starts it again on the same port with the same database file:
   * what was persisted (namespaces, workflows, timers, schedules) is there afterwards.
   */
  public synchronized TemporalDevServer restart() throws IOException {
    if (port == 0) {
      throw new IllegalStateException("restart() before the first start()");
    }
    stop();
    return start();
  }

  /** Stops the server and deletes the database file if this launcher created it. */
  @Override
  public synchronized void close() {
    stop();
    if (ownsDbFile) {
      for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
        try {
          Files.deleteIfExists(Path.of(dbFile + suffix));
        } catch (IOException e) {
          log.debug("could not delete {}{}", dbFile, suffix, e);
        }
      }
    }
  }

  /** The frontend's gRPC address, {@code "127.0.0.1:<port>"}. */
  @Override
  public synchronized String address() {
    return "127.0.0.1:" + port();
  }

  /**
   * The Web UI, {@code "http://127.0.0.1:<port>"}.
   *
   * @throws IllegalStateException if the UI was not enabled ({@link Builder#uiEnabled(boolean)})
   */
  public synchronized String uiUrl() {
    port(); // not started: IllegalStateException
    if (!uiEnabled) {
      throw new IllegalStateException("the Web UI is off; build with uiEnabled(true)");
    }
    return "http://127.0.0.1:" + uiPort;
  }

  /** The namespace the server creates at start (besides "default", which it always creates). */
  public String namespace() {
    return namespace;
  }

  public Path dbFile() {
    return dbFile;
  }

  public Path binary() {
    return binary;
  }

  /**
   * Runs the Temporal CLI against this server: {@code temporal <args> --address <address()>}, with
   * no TEMPORAL_* variables from this process's environment.
   */
  public CommandResult cli(String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of(args));
    command.addAll(List.of("--address", address()));
    return ChildProcess.run(command, cliEnvironment(), Duration.ofSeconds(60));
  }

  // The CLI reads TEMPORAL_ADDRESS, TEMPORAL_API_KEY, TEMPORAL_TLS... from the environment; a
  // developer's settings must not point the launcher's commands at another cluster.
  private static Map<String, String> cliEnvironment() {
    return ChildProcess.environmentWithout("TEMPORAL_");
  }

  /**
   * Options for a {@link TemporalDevServer}; each setter checks its argument at once. Defaults: the
   * database file's name + ".log" as the log file; a start timeout of 60 s (until SERVING).
   */
  public static final class Builder extends Options<Builder> {
    private Path temporalBinary;
    private Path dbFile;
    private String namespace = "default";
    private final Map<String, String> searchAttributes = new LinkedHashMap<>();
    private boolean uiEnabled;
    private String uiCodecEndpoint;
    private final Map<String, String> dynamicConfig = new LinkedHashMap<>();
    private final Map<String, String> sqlitePragmas = new LinkedHashMap<>();

    private Builder() {
      super(Duration.ofSeconds(60));
    }

    /** The {@code temporal} executable; default: {@link LocalTools#find(String)}. */
    public Builder temporalBinary(Path temporalBinary) {
      this.temporalBinary = Objects.requireNonNull(temporalBinary, "temporalBinary");
      return this;
    }

    /**
     * The SQLite file that holds the server's state across {@link #restart()}; default: a new
     * temporary file, deleted by {@link #close()}. A file given here is never deleted.
     */
    public Builder dbFile(Path dbFile) {
      this.dbFile = Objects.requireNonNull(dbFile, "dbFile").toAbsolutePath();
      return this;
    }

    /** A namespace to create at start; "default" (the default) always exists. */
    public Builder namespace(String namespace) {
      Objects.requireNonNull(namespace, "namespace");
      if (namespace.isBlank()) {
        throw new IllegalArgumentException("namespace must not be blank");
      }
      this.namespace = namespace;
      return this;
    }

    /** Registers a search attribute at start, e.g. {@code ("KeyturnSecretId", "Keyword")}. */
    public Builder searchAttribute(String name, String type) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(type, "type");
      if (!IDENTIFIER.matcher(name).matches()) {
        throw new IllegalArgumentException("search attribute name is not an identifier: " + name);
      }
      if (!SEARCH_ATTRIBUTE_TYPES.contains(type)) {
        throw new IllegalArgumentException(
            "search attribute type " + type + " is not one of " + SEARCH_ATTRIBUTE_TYPES);
      }
      searchAttributes.put(name, type);
      return this;
    }

    /** Registers every search attribute of {@code nameToType}; see {@link #searchAttribute}. */
    public Builder searchAttributes(Map<String, String> nameToType) {
      Objects.requireNonNull(nameToType, "searchAttributes").forEach(this::searchAttribute);
      return this;
    }

    /** With the Web UI on a free port ({@link #uiUrl()}), or headless (the default). */
    public Builder uiEnabled(boolean uiEnabled) {
      this.uiEnabled = uiEnabled;
      return this;
    }

    /**
     * The remote codec endpoint the Web UI calls from the browser to decode payloads ({@code
     * --ui-codec-endpoint}), e.g. the Keyturn worker's {@code http://127.0.0.1:8089}. The UI must
     * know it at start, so pick the worker's codec port before starting the server. Implies nothing
     * unless {@link #uiEnabled(boolean)} is on.
     */
    public Builder uiCodecEndpoint(String uiCodecEndpoint) {
      Objects.requireNonNull(uiCodecEndpoint, "uiCodecEndpoint");
      java.net.URI u;
      try {
        u = java.net.URI.create(uiCodecEndpoint);
      } catch (IllegalArgumentException e) {
        u = null;
      }
      if (u == null
          || u.getHost() == null
          || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
        throw new IllegalArgumentException(
            "uiCodecEndpoint must be an http(s) URL such as http://127.0.0.1:8089: "
                + uiCodecEndpoint);
      }
      this.uiCodecEndpoint = uiCodecEndpoint.replaceAll("/+$", "");
      return this;
    }

    /**
     * A dynamic config value, {@code --dynamic-config-value key=json}; {@code json} must be a JSON
     * value, e.g. {@code "true"}, {@code "10"} or {@code "\"text\""}.
     */
    /**
     * A SQLite pragma for the server's database, e.g. {@code ("synchronous", "normal")}: the
     * benchmarks compare the default (a sync per commit) with relaxed durability.
     */
    public Builder sqlitePragma(String key, String value) {
      if (key == null
          || !key.matches("[a-z_]+")
          || value == null
          || !value.matches("[A-Za-z0-9_]+")) {
        throw new IllegalArgumentException("not a SQLite pragma: " + key + "=" + value);
      }
      sqlitePragmas.put(key, value);
      return this;
    }

    public Builder dynamicConfigValue(String key, String json) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(json, "json");
      if (!IDENTIFIER.matcher(key).matches()) {
        throw new IllegalArgumentException("dynamic config key is not an identifier: " + key);
      }
      if (json.isBlank()) {
        throw new IllegalArgumentException("dynamic config value for " + key + " is blank");
      }
      dynamicConfig.put(key, json);
      return this;
    }

    /**
     * Resolves the binary and the files; starts nothing.
     *
     * @throws IllegalStateException if no {@code temporal} binary is found
     * @throws UncheckedIOException if the temporary directory cannot be created
     */
    public TemporalDevServer build() {
      Path binary =
          executable(
              "Temporal CLI",
              temporalBinary != null ? temporalBinary : LocalTools.find("temporal"));
      Path db = dbFile;
      boolean ownsDb = false;
      if (db == null) {
        try {
          db = Files.createTempDirectory("keyturn-temporal-").resolve("temporal.sqlite");
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create a temporary directory", e);
        }
        ownsDb = true;
      }
      Path logTo = logFile != null ? logFile : Path.of(db + ".log");
      return new TemporalDevServer(this, binary, db, ownsDb, logTo);
    }
  }
}
