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
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every server a test starts as a child process on 127.0.0.1 shares: its process, its port and
 * log file; starting it on free ports (again on other ports when another process takes one first),
 * waiting until it is ready, and stopping it (SIGTERM, then SIGKILL after 10 s), idempotently.
 */
public abstract class LocalServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalServer.class);

  /** How many times a start on free ports is tried while other processes take them first. */
  protected static final int START_ATTEMPTS = 3;

  /** What it is, in messages: "OpenBao dev server", "moto server"... */
  private final String name;

  private final Path logFile;
  private final Duration startTimeout;

  /** How long to wait between two readiness checks. */
  private final Duration pollInterval;

  /** Set by {@link #pickPorts()}; 0 until then. */
  protected int port;

  /** Set by {@link #launch}; null once stopped. */
  protected ChildProcess process;

  protected LocalServer(String name, Path logFile, Duration startTimeout, Duration pollInterval) {
    this.name = name;
    this.logFile = logFile;
    this.startTimeout = startTimeout;
    this.pollInterval = pollInterval;
  }

  /**
   * Picks ports and runs {@link #startOnce()}, up to {@code attempts} times while the start fails
   * because another process took a port first.
   *
   * @throws IllegalStateException if it is already running
   */
  protected final void startOnFreePorts(int attempts) throws IOException {
    if (isRunning()) {
      throw new IllegalStateException(name + " already running on " + address());
    }
    IOException last = null;
    for (int attempt = 1; attempt <= attempts; attempt++) {
      pickPorts();
      try {
        startOnce();
        return;
      } catch (IOException e) {
        last = e;
        if (!ChildProcess.isPortClash(e)) {
          break;
        }
        log.warn("{} lost port {} to another process; retrying", name, port);
      }
    }
    forgetPorts();
    throw last;
  }

  /** Sets {@link #port} (and whatever other ports the server needs) to free ones. */
  protected void pickPorts() {
    port = FreePorts.pick();
  }

  /** Forgets the ports {@link #pickPorts()} chose, once no start on them succeeded. */
  protected void forgetPorts() {
    port = 0;
  }

  /** Starts the server on the ports picked, with {@link #launch}. */
  protected abstract void startOnce() throws IOException;

  /**
   * Starts {@code command} as {@code what} (its output through {@code filter} into the log file)
   * and waits until it is ready; one that does not get ready in time is stopped.
   *
   * @throws IOException if it exits or is not ready within the start timeout; the message holds the
   *     end of its log
   */
  protected final void launch(
      String what, List<String> command, Map<String, String> env, UnaryOperator<String> filter)
      throws IOException {
    process = ChildProcess.start(what, command, env, logFile, filter);
    try {
      awaitReady();
    } catch (IOException e) {
      process.stop();
      process = null;
      throw e;
    }
    log.info("{} on {} (pid {}, log {})", what, address(), process.pid(), logFile);
  }

  /**
   * Null once the server answers as ready; otherwise what it answered, for the message when it
   * never gets ready. An IOException counts as not ready yet.
   */
  protected abstract String notReadyYet() throws IOException;

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw process.notReady("exited before it was ready");
      }
      try {
        String notReady = notReadyYet();
        if (notReady == null) {
          return;
        }
        last = notReady;
      } catch (IOException e) {
        last = e.toString();
      }
      sleep(pollInterval);
    }
    throw process.notReady("not ready within " + startTimeout + " (" + last + ")");
  }

  private void sleep(Duration duration) throws IOException {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for the " + name);
    }
  }

  /** {@code GET path} on {@link #address()}, with {@code headers} (name, value, ...). */
  protected final HttpResponse<String> get(String path, Duration timeout, String... headers)
      throws IOException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(address() + path)).timeout(timeout).GET();
    if (headers.length > 0) {
      request.headers(headers);
    }
    return send(request.build());
  }

  /** Sends {@code request}; the answer's body as a string. */
  protected final HttpResponse<String> send(HttpRequest request) throws IOException {
    try {
      return Http.CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted talking to the " + name);
    }
  }

  /** The client for readiness checks, made on first use (a server that speaks no HTTP has none). */
  private static final class Http {
    static final HttpClient CLIENT =
        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  }

  /** Stops the server; what it held in memory is gone. Idempotent. */
  public synchronized void stop() {
    if (process != null) {
      process.stop();
      process = null;
      log.info("{} on 127.0.0.1:{} stopped", name, port);
    }
  }

  @Override
  public void close() {
    stop();
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  public synchronized int port() {
    if (port == 0) {
      throw new IllegalStateException(name + " not started");
    }
    return port;
  }

  /**
   * Where clients connect: {@code "http://127.0.0.1:<port>"} (an SDK's endpoint override, what
   * VAULT_ADDR / BAO_ADDR take).
   *
   * @throws IllegalStateException if it was never started
   */
  public synchronized String address() {
    return "http://127.0.0.1:" + port();
  }

  /** The server's process id (benchmarks read its CPU time from /proc); -1 when not running. */
  public synchronized long pid() {
    return process == null ? -1 : process.pid();
  }

  /** Where the server's output goes. */
  public Path logFile() {
    return logFile;
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + (port == 0 ? "not started" : address()) + "]";
  }

  // ------------------------------------------------------------------ for the builders

  /**
   * What every launcher's builder sets alike: where the server's output goes and how long {@code
   * start()} waits for it to get ready. Each builder says its defaults.
   */
  public abstract static class Options<B extends Options<B>> {
    Path logFile;
    Duration startTimeout;

    Options(Duration defaultStartTimeout) {
      this.startTimeout = defaultStartTimeout;
    }

    /** Where the server's output goes (appended, with any secret it prints removed). */
    public B logFile(Path logFile) {
      this.logFile = Objects.requireNonNull(logFile, "logFile").toAbsolutePath();
      return self();
    }

    /** How long {@code start()} waits for the server to get ready; positive. */
    public B startTimeout(Duration startTimeout) {
      this.startTimeout = positive(startTimeout);
      return self();
    }

    @SuppressWarnings("unchecked")
    private B self() {
      return (B) this;
    }
  }

  /** {@code startTimeout}, checked: a builder's setter takes only a positive one. */
  static Duration positive(Duration startTimeout) {
    Objects.requireNonNull(startTimeout, "startTimeout");
    if (startTimeout.isNegative() || startTimeout.isZero()) {
      throw new IllegalArgumentException("startTimeout must be positive: " + startTimeout);
    }
    return startTimeout;
  }

  /** A new temporary log file, {@code <prefix><random>.log}. */
  static Path temporaryLogFile(String prefix) {
    try {
      return Files.createTempFile(prefix, ".log");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary log file", e);
    }
  }

  /** {@code prefix} and 32 random bytes, URL-safe base64: a token or key for one test server. */
  static String randomSecret(String prefix) {
    byte[] bytes = new byte[32];
    new SecureRandom().nextBytes(bytes);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** {@code binary} if it can be run, for {@code what} ("OpenBao", "Temporal CLI"). */
  static Path executable(String what, Path binary) {
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException(
          what + " " + binary + " is missing or not executable; run scripts/install-tools.sh");
    }
    return binary;
  }
}
