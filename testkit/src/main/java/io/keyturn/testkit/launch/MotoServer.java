package io.keyturn.testkit.launch;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * moto's server mode ({@code python3 -m moto.server}) as a child process on 127.0.0.1: an in-memory
 * emulation of AWS APIs, Secrets Manager, IAM and STS among them, that accepts any credentials
 * until {@link #enforceAuth()}.
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

  private final Path python;
  private final Optional<Path> pythonPath;

  private MotoServer(Path python, Optional<Path> pythonPath, Path logFile, Duration startTimeout) {
    super("moto server", logFile, startTimeout, Duration.ofMillis(100));
    this.python = python;
    this.pythonPath = pythonPath;
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
    startOnFreePorts(START_ATTEMPTS);
    return this;
  }

  @Override
  protected void startOnce() throws IOException {
    // A developer's AWS_* settings (profile, endpoint, real credentials) must not reach moto.
    Map<String, String> env = ChildProcess.environmentWithout("AWS_", "PYTHONPATH");
    pythonPath.ifPresent(dir -> env.put("PYTHONPATH", dir.toString()));
    List<String> command =
        List.of(
            python.toString(), "-m", "moto.server", "-H", "127.0.0.1", "-p", String.valueOf(port));
    launch("moto server", command, env, UnaryOperator.identity());
  }

  @Override
  protected String notReadyYet() throws IOException {
    int status = get("/moto-api/data.json", Duration.ofSeconds(2)).statusCode();
    return status == 200 ? null : "GET /moto-api/data.json: " + status;
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

  /**
   * From now on every call must be signed with an access key of an IAM user this moto holds, and be
   * allowed by that user's policies ({@code POST /moto-api/reset-auth} with 0: moto's {@code
   * INITIAL_NO_AUTH_ACTION_COUNT}, set at run time). Until then moto accepts any credentials, which
   * is when a test makes the users and keys it starts from. STS {@code GetCallerIdentity} then
   * answers only for a live key: a deleted access key is refused ({@code InvalidClientTokenId}).
   * For the whole process: a moto shared with tests that sign with made-up keys must not use it.
   */
  public void enforceAuth() throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(address() + "/moto-api/reset-auth"))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.ofString("0"))
            .build();
    int status = send(request).statusCode();
    if (status != 200) {
      throw new IOException("POST /moto-api/reset-auth answered " + status);
    }
  }

  /**
   * Options for a {@link MotoServer}; each setter checks its argument at once. Defaults: a
   * temporary log file; a start timeout of 60 s (moto imports slowly).
   */
  public static final class Builder extends Options<Builder> {
    private Path python;

    private Builder() {
      super(Duration.ofSeconds(60));
    }

    /** The Python 3 executable; default: {@code python3} via {@link LocalTools#find(String)}. */
    public Builder python(Path python) {
      this.python = Objects.requireNonNull(python, "python");
      return this;
    }

    /**
     * Resolves Python, {@code .tools/py-moto} and the log file; starts nothing.
     *
     * @throws IllegalStateException if no {@code python3} is found
     */
    public MotoServer build() {
      Path py = python != null ? python : LocalTools.find("python3");
      Path logTo = logFile != null ? logFile : temporaryLogFile("keyturn-moto-");
      return new MotoServer(py, LocalTools.findDirectory("py-moto"), logTo, startTimeout);
    }
  }
}
