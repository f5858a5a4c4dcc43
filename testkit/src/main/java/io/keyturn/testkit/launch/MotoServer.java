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
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * moto's server mode ({@code python3 -m moto.server}) as a child process on 127.0.0.1: an in-memory
 * emulation of AWS APIs, Secrets Manager among them, that accepts any credentials.
 *
 * <p>moto comes from the machine's Python, or from {@code .tools/py-moto} (put on {@code
 * PYTHONPATH} when present), which {@code scripts/install-tools.sh} fills when the machine's Python
 * lacks it. Never downloads anything.
 *
 * <pre>{@code
 * try (MotoServer moto = MotoServer.builder().build().start()) {
 *   SecretsManagerClient.builder().endpointOverride(URI.create(moto.address())) ...
 * }
 * }</pre>
 */
public final class MotoServer extends LocalServer {

  private static final Logger log = LoggerFactory.getLogger(MotoServer.class);
  private static final int START_ATTEMPTS = 3;

  private final Path python;
  private final Optional<Path> pythonPath;
  private final Path logFile;
  private final Duration startTimeout;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private MotoServer(Path python, Optional<Path> pythonPath, Path logFile, Duration startTimeout) {
    super("moto server");
    this.python = python;
    this.pythonPath = pythonPath;
    this.logFile = logFile;
    this.startTimeout = startTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts moto on a free port and waits until its management API answers.
   *
   * @return this server
   * @throws IOException if it does not answer within the start timeout; the message holds the end
   *     of its log (an {@code ImportError} there means moto is missing: run
   *     scripts/install-tools.sh)
   * @throws IllegalStateException if it is already running
   */
  public synchronized MotoServer start() throws IOException {
    if (isRunning()) {
      throw new IllegalStateException("moto server already running on " + address());
    }
    IOException last = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      port = FreePorts.pick();
      try {
        startOnce();
        return this;
      } catch (IOException e) {
        last = e;
        if (!ChildProcess.isPortClash(e) && !e.getMessage().contains("Address already in use")) {
          break;
        }
        log.warn("moto server lost port {} to another process; retrying", port);
      }
    }
    port = 0;
    throw last;
  }

  private void startOnce() throws IOException {
    // A developer's AWS_* settings (profile, endpoint, real credentials) must not reach moto.
    Map<String, String> env = ChildProcess.environmentWithout("AWS_", "PYTHONPATH");
    pythonPath.ifPresent(dir -> env.put("PYTHONPATH", dir.toString()));
    List<String> command =
        List.of(
            python.toString(), "-m", "moto.server", "-H", "127.0.0.1", "-p", String.valueOf(port));
    process = ChildProcess.start("moto server", command, env, logFile, UnaryOperator.identity());
    try {
      awaitReady();
    } catch (IOException e) {
      process.stop();
      process = null;
      throw e;
    }
    log.info("moto server on {} (pid {}, log {})", address(), process.pid(), logFile);
  }

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw process.notReady("exited before it was ready");
      }
      try {
        int status = get("/moto-api/data.json").statusCode();
        if (status == 200) {
          return;
        }
        last = "GET /moto-api/data.json: " + status;
      } catch (IOException e) {
        last = e.toString();
      }
      sleep(Duration.ofMillis(100));
    }
    throw process.notReady("not ready within " + startTimeout + " (" + last + ")");
  }

  /** Forgets every resource of every emulated service ({@code POST /moto-api/reset}). */
  public void reset() throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(address() + "/moto-api/reset"))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build();
    int status = send(request).statusCode();
    if (status != 200) {
      throw new IOException("POST /moto-api/reset answered " + status);
    }
  }

  private HttpResponse<String> get(String path) throws IOException {
    return send(
        HttpRequest.newBuilder(URI.create(address() + path))
            .timeout(Duration.ofSeconds(2))
            .GET()
            .build());
  }

  private HttpResponse<String> send(HttpRequest request) throws IOException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted talking to moto");
    }
  }

  /** The endpoint, {@code "http://127.0.0.1:<port>"} (an SDK's endpoint override). */
  public synchronized String address() {
    return httpAddress();
  }

  public Path logFile() {
    return logFile;
  }

  @Override
  public String toString() {
    return "MotoServer[" + (port == 0 ? "not started" : address()) + "]";
  }

  private static void sleep(Duration duration) throws IOException {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for moto");
    }
  }

  /** Options for a {@link MotoServer}; each setter checks its argument at once. */
  public static final class Builder {
    private Path python;
    private Path logFile;
    private Duration startTimeout = Duration.ofSeconds(60);

    private Builder() {}

    /** The Python 3 executable; default: {@code python3} via {@link LocalTools#find(String)}. */
    public Builder python(Path python) {
      this.python = Objects.requireNonNull(python, "python");
      return this;
    }

    /** Where the server's output goes (appended); default: a temporary file. */
    public Builder logFile(Path logFile) {
      this.logFile = Objects.requireNonNull(logFile, "logFile").toAbsolutePath();
      return this;
    }

    /** How long {@link #start()} waits for readiness; default 60 s (moto imports slowly). */
    public Builder startTimeout(Duration startTimeout) {
      Objects.requireNonNull(startTimeout, "startTimeout");
      if (startTimeout.isNegative() || startTimeout.isZero()) {
        throw new IllegalArgumentException("startTimeout must be positive: " + startTimeout);
      }
      this.startTimeout = startTimeout;
      return this;
    }

    /**
     * Resolves Python, {@code .tools/py-moto} and the log file; starts nothing.
     *
     * @throws IllegalStateException if no {@code python3} is found
     */
    public MotoServer build() {
      Path py = python != null ? python : LocalTools.find("python3");
      Path logTo = logFile;
      if (logTo == null) {
        try {
          logTo = Files.createTempFile("keyturn-moto-", ".log");
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create a temporary log file", e);
        }
      }
      return new MotoServer(py, LocalTools.findDirectory("py-moto"), logTo, startTimeout);
    }
  }
}
