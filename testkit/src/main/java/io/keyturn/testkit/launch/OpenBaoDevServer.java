package io.keyturn.testkit.launch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OpenBao in dev mode ({@code bao server -dev}) as a child process on 127.0.0.1: in memory,
 * unsealed, KV version 2 mounted at {@code secret/}, a random root token. It speaks the HashiCorp
 * Vault HTTP API.
 *
 * <p>The root token reaches the server through its environment, not its command line, and is
 * removed from the server's log, so neither {@code ps} nor the log shows it. Never downloads
 * anything: the binary comes from {@link LocalTools} unless {@link Builder#baoBinary(Path)} names
 * one.
 *
 * <pre>{@code
 * try (OpenBaoDevServer bao = OpenBaoDevServer.builder().build().start()) {
 *   // PUT bao.address() + "/v1/secret/data/app" with header X-Vault-Token: bao.rootToken()
 * }
 * }</pre>
 */
public final class OpenBaoDevServer extends LocalServer {

  private static final Logger log = LoggerFactory.getLogger(OpenBaoDevServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int START_ATTEMPTS = 3;

  private final Path binary;
  private final Path logFile;
  private final String rootToken;
  private final Duration startTimeout;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private OpenBaoDevServer(Path binary, Path logFile, String rootToken, Duration startTimeout) {
    super("OpenBao dev server");
    this.binary = binary;
    this.logFile = logFile;
    this.rootToken = rootToken;
    this.startTimeout = startTimeout;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts the server on a free port (dev mode also binds the next port, for its cluster listener)
   * and waits until {@code /v1/sys/health} answers 200 and KV v2 is mounted at {@code secret/}. Dev
   * mode keeps everything in memory: a stopped server comes back empty.
   *
   * @return this server
   * @throws IOException if it does not become ready within the start timeout; the message holds the
   *     end of its log
   * @throws IllegalStateException if it is already running
   */
  public synchronized OpenBaoDevServer start() throws IOException {
    if (isRunning()) {
      throw new IllegalStateException("OpenBao dev server already running on " + address());
    }
    IOException last = null;
    for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
      port = FreePorts.pickPair();
      try {
        startOnce();
        return this;
      } catch (IOException e) {
        last = e;
        if (!ChildProcess.isPortClash(e)) {
          break;
        }
        log.warn("OpenBao dev server lost port {} to another process; retrying", port);
      }
    }
    port = 0;
    throw last;
  }

  private void startOnce() throws IOException {
    // A developer's VAULT_*/BAO_* settings (address, token, namespace, TLS) must not leak in.
    Map<String, String> env = ChildProcess.environmentWithout("VAULT_", "BAO_");
    env.put("BAO_DEV_ROOT_TOKEN_ID", rootToken);
    List<String> command =
        List.of(
            binary.toString(),
            "server",
            "-dev",
            "-dev-no-store-token",
            "-dev-listen-address=127.0.0.1:" + port);
    process = ChildProcess.start("OpenBao dev server", command, env, logFile, this::redact);
    try {
      awaitReady();
    } catch (IOException e) {
      process.stop();
      process = null;
      throw e;
    }
    log.info("OpenBao dev server on {} (pid {}, log {})", address(), process.pid(), logFile);
  }

  private String redact(String line) {
    return redact(line, rootToken);
  }

  // Dev mode prints the unseal key and the root token (on stdout, usually as it shuts down);
  // neither belongs in a log file.
  static String redact(String line, String rootToken) {
    if (line.startsWith("Unseal Key:")) {
      return "Unseal Key: (redacted by OpenBaoDevServer)";
    }
    return line.replace(rootToken, "(root token redacted)");
  }

  private void awaitReady() throws IOException {
    long deadline = System.nanoTime() + startTimeout.toNanos();
    String last = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw process.notReady("exited before it was ready");
      }
      try {
        HttpResponse<String> health = get("/v1/sys/health");
        if (health.statusCode() != 200) {
          last = "GET /v1/sys/health: " + health.statusCode();
        } else {
          // Dev mode mounts secret/ just after it unseals, so healthy is not yet enough.
          HttpResponse<String> mount = get("/v1/sys/mounts/secret");
          if (mount.statusCode() == 200 && isKvVersion2(mount.body())) {
            return;
          }
          last = "GET /v1/sys/mounts/secret: " + mount.statusCode();
        }
      } catch (IOException e) {
        last = e.toString();
      }
      sleep(Duration.ofMillis(100));
    }
    throw process.notReady("not ready within " + startTimeout + " (" + last + ")");
  }

  private static boolean isKvVersion2(String mountJson) throws IOException {
    JsonNode mount = JSON.readTree(mountJson);
    JsonNode data = mount.has("data") ? mount.get("data") : mount;
    return "kv".equals(data.path("type").asText())
        && "2".equals(data.path("options").path("version").asText());
  }

  private HttpResponse<String> get(String path) throws IOException {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(address() + path))
            .header("X-Vault-Token", rootToken)
            .timeout(Duration.ofSeconds(2))
            .GET()
            .build();
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for OpenBao");
    }
  }

  /** The API address, {@code "http://127.0.0.1:<port>"} (what VAULT_ADDR / BAO_ADDR take). */
  public synchronized String address() {
    return httpAddress();
  }

  /** The root token (send it as {@code X-Vault-Token}). A secret: never log it. */
  public String rootToken() {
    return rootToken;
  }

  public Path logFile() {
    return logFile;
  }

  public Path binary() {
    return binary;
  }

  @Override
  public String toString() {
    return "OpenBaoDevServer[" + (port == 0 ? "not started" : address()) + "]";
  }

  private static void sleep(Duration duration) throws IOException {
    try {
      Thread.sleep(duration.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted waiting for OpenBao");
    }
  }

  /** Options for an {@link OpenBaoDevServer}; each setter checks its argument at once. */
  public static final class Builder {
    private Path baoBinary;
    private Path logFile;
    private String rootToken;
    private Duration startTimeout = Duration.ofSeconds(30);

    private Builder() {}

    /** The {@code bao} executable; default: {@link LocalTools#find(String)}. */
    public Builder baoBinary(Path baoBinary) {
      this.baoBinary = Objects.requireNonNull(baoBinary, "baoBinary");
      return this;
    }

    /** Where the server's output goes (appended, secrets removed); default: a temporary file. */
    public Builder logFile(Path logFile) {
      this.logFile = Objects.requireNonNull(logFile, "logFile").toAbsolutePath();
      return this;
    }

    /** The root token; default: 32 random bytes, URL-safe base64. */
    public Builder rootToken(String rootToken) {
      Objects.requireNonNull(rootToken, "rootToken");
      if (rootToken.length() < 8 || !rootToken.matches("[A-Za-z0-9._-]+")) {
        throw new IllegalArgumentException(
            "rootToken must be at least 8 characters of [A-Za-z0-9._-]");
      }
      this.rootToken = rootToken;
      return this;
    }

    /** How long {@link #start()} waits for readiness; default 30 s. */
    public Builder startTimeout(Duration startTimeout) {
      Objects.requireNonNull(startTimeout, "startTimeout");
      if (startTimeout.isNegative() || startTimeout.isZero()) {
        throw new IllegalArgumentException("startTimeout must be positive: " + startTimeout);
      }
      this.startTimeout = startTimeout;
      return this;
    }

    /**
     * Resolves the binary and the log file; starts nothing.
     *
     * @throws IllegalStateException if no {@code bao} binary is found
     */
    public OpenBaoDevServer build() {
      Path binary = baoBinary != null ? baoBinary : LocalTools.find("bao");
      if (!Files.isExecutable(binary)) {
        throw new IllegalStateException(
            "OpenBao " + binary + " is missing or not executable; run scripts/install-tools.sh");
      }
      Path logTo = logFile;
      if (logTo == null) {
        try {
          logTo = Files.createTempFile("keyturn-openbao-", ".log");
        } catch (IOException e) {
          throw new UncheckedIOException("cannot create a temporary log file", e);
        }
      }
      String token = rootToken;
      if (token == null) {
        byte[] bytes = new byte[32];
        new SecureRandom().nextBytes(bytes);
        token = "dev-" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
      }
      return new OpenBaoDevServer(binary, logTo, token, startTimeout);
    }
  }
}
