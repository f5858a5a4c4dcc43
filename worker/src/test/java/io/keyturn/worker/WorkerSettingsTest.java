package io.keyturn.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.STRING;

import com.sun.net.httpserver.HttpServer;
import io.keyturn.activities.vault.VaultAuth;
import io.keyturn.gateway.http.JsonHttp;
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

class WorkerSettingsTest {
  @TempDir Path dir;

  static final String KEYRING = WorkerKeyring.generate().toJson();

  private static WorkerSettings settings(String mk, String mkFile, String vt, String secret) {
    return settings(mk, mkFile, secret, vt, "", "", "", "", "", "approle", "");
  }

  /** Vault auth settings only; everything else valid. */
  private static WorkerSettings vault(
      String token,
      String tokenFile,
      String roleId,
      String roleIdFile,
      String secretId,
      String secretIdFile) {
    return settings(
        "sk-management",
        "",
        PayloadKeys.generateBase64(),
        token,
        tokenFile,
        roleId,
        roleIdFile,
        secretId,
        secretIdFile,
        "approle",
        "");
  }

  private static WorkerSettings settings(
      String mk,
      String mkFile,
      String secret,
      String vt,
      String vtFile,
      String roleId,
      String roleIdFile,
      String secretId,
      String secretIdFile,
      String mount,
      String vaultNamespace) {
    return new WorkerSettings(
        "q",
        mk,
        mkFile,
        Duration.ofSeconds(5),
        "http://127.0.0.1:8200",
        vt,
        vtFile,
        roleId,
        roleIdFile,
        secretId,
        secretIdFile,
        mount,
        vaultNamespace,
        secret.isEmpty() ? "" : KEYRING,
        "",
        secret,
        "");
  }

  @Test
  void everyMissingSettingIsNamedAtOnce() {
    var problems = settings("", "", "", "").validate();
    assertThat(problems).hasSize(3);
    assertThat(String.join("\n", problems))
        .contains("LITELLM_MASTER_KEY")
        .contains("KEYTURN_WORKER_KEYRING_FILE")
        .contains("KEYTURN_PAYLOAD_KEY");
  }

  @Test
  void badValuesAreNamedWithoutEchoingSecrets() {
    var problems = settings("", dir.resolve("missing").toString(), "t", "not base64 !!").validate();
    String all = String.join("\n", problems);
    assertThat(all).contains("LITELLM_MASTER_KEY_FILE").contains("base64");
  }

  @Test
  void aCompleteConfigurationValidatesAndSecretFilesAreReadOnUse() throws Exception {
    Path f = dir.resolve("mk");
    Files.writeString(f, "sk-first-management-key\n");
    WorkerSettings s = settings("", f.toString(), "t", PayloadKeys.generateBase64());
    assertThat(s.validate()).isEmpty();
    assertThat(s.managementKey().get()).isEqualTo("sk-first-management-key");
    Files.writeString(f, "sk-rotated-management-key");
    assertThat(s.managementKey().get()).isEqualTo("sk-rotated-management-key");
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
      assertThat(s.vaultAddress()).startsWith("http");
      assertThat(s.vaultAppRoleMount).isEqualTo("approle");
    }
  }

  @Test
  void tokenAndAppRoleTogetherAreRefusedNamingBothWithoutTheirValues() {
    var problems = vault("s.token-value", "", "role-value", "", "secret-id-value", "").validate();
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
    assertThat(vault("", "/some/token", "", "", "secret-id-value", "").validate())
        .singleElement(STRING)
        .contains("not both");
  }

  @Test
  void noVaultCredentialsIsFineUntilAVaultDestinationNeedsThem() {
    WorkerSettings s = vault("", "", "", "", "", "");
    assertThat(s.validate()).isEmpty();
    assertThat(s.vaultMissing()).isTrue();
    assertThatThrownBy(() -> s.vaultAuth(null).token())
        .hasMessageContaining("VAULT_TOKEN")
        .hasMessageContaining("VAULT_ROLE_ID")
        .hasMessageContaining("VAULT_SECRET_ID");
  }

  @Test
  void appRoleNeedsBothIdsAndReadableFiles() throws Exception {
    assertThat(String.join("\n", vault("", "", "role", "", "", "").validate()))
        .contains("VAULT_SECRET_ID")
        .doesNotContain("VAULT_ROLE_ID");
    Path missing = dir.resolve("no-such-secret-id");
    assertThat(vault("", "", "role", "", "", missing.toString()).validate())
        .containsExactly("VAULT_SECRET_ID_FILE=" + missing + " is not a readable file");
    Path roleFile = dir.resolve("role-id");
    Files.writeString(roleFile, "role\n");
    assertThat(vault("", "", "role", roleFile.toString(), "secret", "").validate())
        .containsExactly("VAULT_ROLE_ID and VAULT_ROLE_ID_FILE are both set: set one");
    WorkerSettings ok = vault("", "", "", roleFile.toString(), "secret", "");
    assertThat(ok.validate()).isEmpty();
    assertThat(ok.vaultUsesAppRole()).isTrue();
    assertThat(vault("t", "", "", "", "", "").vaultUsesAppRole()).isFalse();
  }

  @Test
  void aBadAppRoleMountIsNamed() {
    WorkerSettings s =
        settings(
            "sk-management",
            "",
            PayloadKeys.generateBase64(),
            "",
            "",
            "role",
            "",
            "secret",
            "",
            "app role",
            "");
    assertThat(s.validate()).singleElement().asString().contains("VAULT_APPROLE_MOUNT");
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
    WorkerSettings s =
        new WorkerSettings(
            "q",
            "sk-management",
            "",
            Duration.ofSeconds(5),
            "http://127.0.0.1:" + vault.getAddress().getPort(),
            "",
            "",
            "",
            roleFile.toString(),
            "",
            secretFile.toString(),
            "/team-approle/",
            "team-a",
            KEYRING,
            "",
            PayloadKeys.generateBase64(),
            "");
    try (JsonHttp http = new JsonHttp(Duration.ofSeconds(5))) {
      VaultAuth auth = s.vaultAuth(http);
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
}
