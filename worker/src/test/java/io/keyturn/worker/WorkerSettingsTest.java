package io.keyturn.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import com.sun.net.httpserver.HttpServer;
import io.keyturn.activities.vault.VaultAuth;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.worker.config.CodecSettings;
import io.keyturn.worker.config.KeySettings;
import io.keyturn.worker.config.LiteLlmSettings;
import io.keyturn.worker.config.MetricsSettings;
import io.keyturn.worker.config.OperatorSettings;
import io.keyturn.worker.config.VaultSettings;
import io.keyturn.worker.config.WorkerSettings;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.micronaut.context.ApplicationContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The worker's settings (the records of io.keyturn.worker.config, bound from application.yml) and
 * the check {@link WorkerBeans} makes of them before the worker polls.
 */
class WorkerSettingsTest {
  @TempDir Path dir;

  static final String KEYRING = WorkerKeyring.generate().toJson();

  static final WorkerSettings WORKER = new WorkerSettings("q", Duration.ofMinutes(15));
  static final MetricsSettings NO_METRICS = new MetricsSettings("127.0.0.1", 0);
  static final CodecSettings NO_CODEC =
      new CodecSettings("127.0.0.1", 0, "", "", CodecSettings.DEFAULT_CORS_ORIGINS);

  private static LiteLlmSettings litellm(String mk, String mkFile) {
    return new LiteLlmSettings(mk, mkFile, Duration.ofSeconds(5), "adaptive");
  }

  /** The keyring and the payload key, or neither when {@code payloadKey} is empty. */
  private static KeySettings keys(String payloadKey) {
    return new KeySettings(payloadKey.isEmpty() ? "" : KEYRING, "", payloadKey, "");
  }

  private static final VaultSettings NO_VAULT = vault("", "", "", "", "", "");

  /** Vault auth settings only. */
  private static VaultSettings vault(
      String token,
      String tokenFile,
      String roleId,
      String roleIdFile,
      String secretId,
      String secretIdFile) {
    return new VaultSettings(
        "http://127.0.0.1:8200",
        token,
        tokenFile,
        "",
        new VaultSettings.AppRole(roleId, roleIdFile, secretId, secretIdFile, "approle"));
  }

  /** What the worker says when it refuses to start with these settings; empty when it accepts. */
  private static List<String> startProblems(
      WorkerSettings worker, LiteLlmSettings litellm, VaultSettings vault, KeySettings keys) {
    try {
      new WorkerBeans(
          worker, litellm, vault, keys, NO_METRICS, NO_CODEC, new OperatorSettings("off", ""));
      return List.of();
    } catch (IllegalStateException e) {
      assertThat(e.getMessage()).startsWith("Keyturn worker cannot start:\n  - ");
      List<String> lines = List.of(e.getMessage().split("\n  - "));
      return lines.subList(1, lines.size());
    }
  }

  @Test
  void everyMissingSettingIsNamedAtOnce() {
    var problems = startProblems(WORKER, litellm("", ""), NO_VAULT, keys(""));
    assertThat(problems).hasSize(3);
    assertThat(String.join("\n", problems))
        .contains("LITELLM_MASTER_KEY")
        .contains("KEYTURN_WORKER_KEYRING_FILE")
        .contains("KEYTURN_PAYLOAD_KEY");
    // Bad values of the other groups are named in the same list.
    var more =
        startProblems(
            new WorkerSettings("q", Duration.ofSeconds(1)),
            new LiteLlmSettings("", "", Duration.ofSeconds(5), "fast"),
            NO_VAULT,
            keys(""));
    assertThat(more).hasSize(5);
    assertThat(String.join("\n", more))
        .contains("KEYTURN_STEP_DEADLINE")
        .contains("KEYTURN_LITELLM_PACING");
  }

  @Test
  void badValuesAreNamedWithoutEchoingSecrets() {
    String badPayloadKey = "not base64 !!";
    var problems =
        startProblems(
            WORKER, litellm("", dir.resolve("missing").toString()), NO_VAULT, keys(badPayloadKey));
    String all = String.join("\n", problems);
    assertThat(all)
        .contains("LITELLM_MASTER_KEY_FILE")
        .contains("base64")
        .doesNotContain(badPayloadKey);
  }

  @Test
  void settingsShowWhetherASecretIsSetNeverItsValue() {
    String shown =
        List.of(
                new LiteLlmSettings("sk-management-value", "", Duration.ofSeconds(5), "off"),
                keys(PayloadKeys.generateBase64()),
                new VaultSettings(
                    "http://vault",
                    "s.token-value",
                    "",
                    "",
                    new VaultSettings.AppRole("role-value", "", "secret-id-value", "", "approle")),
                new CodecSettings("127.0.0.1", 0, "codec-token-value", "", ""))
            .toString();
    assertThat(shown)
        .contains("(set)")
        .doesNotContain("sk-management-value")
        .doesNotContain(KEYRING)
        .doesNotContain("s.token-value")
        .doesNotContain("secret-id-value")
        .doesNotContain("codec-token-value");
  }

  @Test
  void aCompleteConfigurationValidatesAndSecretFilesAreReadOnUse() throws Exception {
    Path f = dir.resolve("mk");
    Files.writeString(f, "sk-first-management-key\n");
    LiteLlmSettings s = litellm("", f.toString());
    assertThat(startProblems(WORKER, s, NO_VAULT, keys(PayloadKeys.generateBase64()))).isEmpty();
    assertThat(s.managementKeySource().get()).isEqualTo("sk-first-management-key");
    Files.writeString(f, "sk-rotated-management-key");
    assertThat(s.managementKeySource().get()).isEqualTo("sk-rotated-management-key");
  }

  @Test
  void applicationYmlReadsTemporalsStandardVariables() {
    try (ApplicationContext ctx =
        ApplicationContext.builder()
            .properties(Map.of("keyturn.worker.enabled", "false"))
            .start()) {
      // Without the env, the defaults apply and contain colons intact.
      WorkerSettings s = ctx.getBean(WorkerSettings.class);
      assertThat(s.temporal().address())
          .isIn(
              "127.0.0.1:7233", System.getenv().getOrDefault("TEMPORAL_ADDRESS", "127.0.0.1:7233"));
      assertThat(s.taskQueue())
          .isEqualTo(System.getenv().getOrDefault("KEYTURN_TASK_QUEUE", "keyturn-rotations"));
      VaultSettings vault = ctx.getBean(VaultSettings.class);
      assertThat(vault.address()).startsWith("http");
      assertThat(vault.approle().mount())
          .isEqualTo(System.getenv().getOrDefault("VAULT_APPROLE_MOUNT", "approle"));
      LiteLlmSettings litellm = ctx.getBean(LiteLlmSettings.class);
      assertThat(litellm.timeout()).isPositive();
      assertThat(litellm.pacing()).isIn("adaptive", "off");
      assertThat(ctx.getBean(KeySettings.class)).isNotNull();
      assertThat(ctx.getBean(MetricsSettings.class).host()).isNotBlank();
    }
  }

  @Test
  void environmentVariablesReachTheSettingsThroughApplicationYml() {
    // application.yml's ${VARIABLE} placeholders, resolved as Micronaut resolves them from the
    // environment, given here as properties named like the variables.
    try (ApplicationContext ctx =
        ApplicationContext.builder()
            .properties(
                Map.of(
                    "keyturn.worker.enabled", "false",
                    "KEYTURN_TASK_QUEUE", "team-q",
                    "KEYTURN_STEP_DEADLINE", "2m",
                    "LITELLM_MASTER_KEY_FILE", "/run/mk",
                    "KEYTURN_LITELLM_PACING", "off",
                    "VAULT_ROLE_ID_FILE", "/run/role",
                    "VAULT_APPROLE_MOUNT", "team-approle",
                    "KEYTURN_WORKER_KEYRING_FILE", "/run/keyring",
                    "KEYTURN_PAYLOAD_KEY_FILE", "/run/payload",
                    "KEYTURN_METRICS_PORT", "9999"))
            .start()) {
      assertThat(ctx.getBean(WorkerSettings.class))
          .isEqualTo(new WorkerSettings("team-q", Duration.ofMinutes(2)));
      LiteLlmSettings litellm = ctx.getBean(LiteLlmSettings.class);
      assertThat(litellm.managementKeyFile()).isEqualTo("/run/mk");
      assertThat(litellm.pacing()).isEqualTo("off");
      VaultSettings vault = ctx.getBean(VaultSettings.class);
      assertThat(vault.approle().roleIdFile()).isEqualTo("/run/role");
      assertThat(vault.approle().mount()).isEqualTo("team-approle");
      KeySettings keys = ctx.getBean(KeySettings.class);
      assertThat(keys.keyringFile()).isEqualTo("/run/keyring");
      assertThat(keys.payloadKeyFile()).isEqualTo("/run/payload");
      assertThat(ctx.getBean(MetricsSettings.class).port()).isEqualTo(9999);
    }
  }

  @Test
  void tokenAndAppRoleTogetherAreRefusedNamingBothWithoutTheirValues() {
    var problems = vault("s.token-value", "", "role-value", "", "secret-id-value", "").problems();
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0))
        .contains("VAULT_TOKEN")
        .contains("VAULT_ROLE_ID")
        .contains("VAULT_SECRET_ID")
        .contains("not both")
        .doesNotContain("s.token-value")
        .doesNotContain("role-value")
        .doesNotContain("secret-id-value");
    // A token file with only a secret id is two methods too.
    assertThat(vault("", "/some/token", "", "", "secret-id-value", "").problems())
        .singleElement(STRING)
        .contains("not both");
  }

  @Test
  void noVaultCredentialsIsFineUntilAVaultDestinationNeedsThem() {
    VaultSettings s = NO_VAULT;
    assertThat(s.problems()).isEmpty();
    assertThat(
            startProblems(
                WORKER, litellm("sk-management", ""), s, keys(PayloadKeys.generateBase64())))
        .isEmpty();
    assertThat(s.missing()).isTrue();
    assertThatThrownBy(() -> s.auth(null).token())
        .hasMessageContaining("VAULT_TOKEN")
        .hasMessageContaining("VAULT_ROLE_ID")
        .hasMessageContaining("VAULT_SECRET_ID");
  }

  @Test
  void appRoleNeedsBothIdsAndReadableFiles() throws Exception {
    assertThat(String.join("\n", vault("", "", "role", "", "", "").problems()))
        .contains("VAULT_SECRET_ID")
        .doesNotContain("VAULT_ROLE_ID");
    Path missing = dir.resolve("no-such-secret-id");
    assertThat(vault("", "", "role", "", "", missing.toString()).problems())
        .containsExactly("VAULT_SECRET_ID_FILE=" + missing + " is not a readable file");
    Path roleFile = dir.resolve("role-id");
    Files.writeString(roleFile, "role\n");
    assertThat(vault("", "", "role", roleFile.toString(), "secret", "").problems())
        .containsExactly("VAULT_ROLE_ID and VAULT_ROLE_ID_FILE are both set: set one");
    VaultSettings ok = vault("", "", "", roleFile.toString(), "secret", "");
    assertThat(ok.problems()).isEmpty();
    assertThat(ok.usesAppRole()).isTrue();
    assertThat(vault("t", "", "", "", "", "").usesAppRole()).isFalse();
  }

  @Test
  void aBadAppRoleMountIsNamed() {
    VaultSettings s =
        new VaultSettings(
            "http://127.0.0.1:8200",
            "",
            "",
            "",
            new VaultSettings.AppRole("role", "", "secret", "", "app role"));
    assertThat(s.problems()).singleElement().asString().contains("VAULT_APPROLE_MOUNT");
  }

  @Test
  void appRoleLogsInAtTheMountWithTheNamespaceAndRereadsItsFiles() throws Exception {
    List<String> bodies = new CopyOnWriteArrayList<>();
    List<String> namespaces = new CopyOnWriteArrayList<>();
    List<String> paths = new CopyOnWriteArrayList<>();
    HttpServer vault = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    vault.createContext(
        "/",
        exchange -> {
          paths.add(exchange.getRequestURI().getPath());
          namespaces.add(exchange.getRequestHeaders().getFirst("X-Vault-Namespace"));
          bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          byte[] reply =
              ("{\"auth\":{\"client_token\":\"tok-"
                      + bodies.size()
                      + "\",\"accessor\":\"acc\",\"lease_duration\":3600}}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(200, reply.length);
          exchange.getResponseBody().write(reply);
          exchange.close();
        });
    vault.start();
    Path roleFile = dir.resolve("role-id");
    Path secretFile = dir.resolve("secret-id");
    Files.writeString(roleFile, "role-one\n");
    Files.writeString(secretFile, "secret-one\n");
    VaultSettings s =
        new VaultSettings(
            "http://127.0.0.1:" + vault.getAddress().getPort(),
            "",
            "",
            "team-a",
            new VaultSettings.AppRole(
                "", roleFile.toString(), "", secretFile.toString(), "/team-approle/"));
    try (JsonHttp http = new JsonHttp(Duration.ofSeconds(5))) {
      VaultAuth auth = s.auth(http);
      assertThat(auth.token()).isEqualTo("tok-1");
      assertThat(auth.token()).isEqualTo("tok-1");
      Files.writeString(secretFile, "secret-two\n");
      assertThat(auth.refreshAfterDenied("tok-1")).isTrue();
      assertThat(auth.token()).isEqualTo("tok-2");
    } finally {
      vault.stop(0);
    }
    assertThat(paths).containsExactly("/v1/auth/team-approle/login", "/v1/auth/team-approle/login");
    assertThat(namespaces).containsExactly("team-a", "team-a");
    assertThat(bodies.get(0)).contains("\"role_id\":\"role-one\"", "\"secret_id\":\"secret-one\"");
    assertThat(bodies.get(1)).contains("\"secret_id\":\"secret-two\"");
  }

  @Test
  void theOperatorCheckIsOnOrOffAndSaysWhatItNeeds() {
    assertThat(new OperatorSettings("off", "").problems()).isEmpty();
    assertThat(new OperatorSettings("on", "litellm").problems()).isEmpty();
    assertThat(new OperatorSettings(null, null).enabled()).isFalse();
    assertThat(new OperatorSettings("yes", "").problems())
        .singleElement()
        .asString()
        .contains("KEYTURN_OPERATOR_CHECK=yes")
        .contains("virtualkeys.auth.litellm.ai");
  }
}
