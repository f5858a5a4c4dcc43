package io.keyturn.testkit.launch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

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

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path binary;
  private final String rootToken;

  private OpenBaoDevServer(Path binary, Path logFile, String rootToken, Duration startTimeout) {
    super("OpenBao dev server", logFile, startTimeout, Duration.ofMillis(100));
    this.binary = binary;
    this.rootToken = rootToken;
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
    startOnFreePorts(START_ATTEMPTS);
    return this;
  }

  @Override
  protected void pickPorts() {
    port = FreePorts.pickPair();
  }

  @Override
  protected void startOnce() throws IOException {
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
    launch("OpenBao dev server", command, env, this::redact);
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

  @Override
  protected String notReadyYet() throws IOException {
    HttpResponse<String> health = get("/v1/sys/health");
    if (health.statusCode() != 200) {
      return "GET /v1/sys/health: " + health.statusCode();
    }
    // Dev mode mounts secret/ just after it unseals, so healthy is not yet enough.
    HttpResponse<String> mount = get("/v1/sys/mounts/secret");
    if (mount.statusCode() == 200 && isKvVersion2(mount.body())) {
      return null;
    }
    return "GET /v1/sys/mounts/secret: " + mount.statusCode();
  }

  private static boolean isKvVersion2(String mountJson) throws IOException {
    JsonNode mount = JSON.readTree(mountJson);
    JsonNode data = mount.has("data") ? mount.get("data") : mount;
    return "kv".equals(data.path("type").asText())
        && "2".equals(data.path("options").path("version").asText());
  }

  private HttpResponse<String> get(String path) throws IOException {
    return get(path, Duration.ofSeconds(2), "X-Vault-Token", rootToken);
  }

  /** The root token (send it as {@code X-Vault-Token}). A secret: never log it. */
  public String rootToken() {
    return rootToken;
  }

  public Path binary() {
    return binary;
  }

  /**
   * Options for an {@link OpenBaoDevServer}; each setter checks its argument at once. Defaults: a
   * temporary log file (secrets removed); a start timeout of 30 s.
   */
  public static final class Builder extends Options<Builder> {
    private Path baoBinary;
    private String rootToken;

    private Builder() {
      super(Duration.ofSeconds(30));
    }

    /** The {@code bao} executable; default: {@link LocalTools#find(String)}. */
    public Builder baoBinary(Path baoBinary) {
      this.baoBinary = Objects.requireNonNull(baoBinary, "baoBinary");
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

    /**
     * Resolves the binary and the log file; starts nothing.
     *
     * @throws IllegalStateException if no {@code bao} binary is found
     */
    public OpenBaoDevServer build() {
      Path binary = executable("OpenBao", baoBinary != null ? baoBinary : LocalTools.find("bao"));
      Path logTo = logFile != null ? logFile : temporaryLogFile("keyturn-openbao-");
      String token = rootToken != null ? rootToken : randomSecret("dev-");
      return new OpenBaoDevServer(binary, logTo, token, startTimeout);
    }
  }
}
