package io.keyturn.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.workflows.crypto.KeyturnSecret;
import io.micronaut.context.ApplicationContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkerSettingsTest {
  @TempDir Path dir;

  private static WorkerSettings settings(
      String address, String mk, String mkFile, String vt, String secret) {
    return new WorkerSettings(
        address,
        "default",
        "",
        false,
        "",
        "",
        "",
        "",
        "q",
        mk,
        mkFile,
        Duration.ofSeconds(5),
        "http://127.0.0.1:8200",
        vt,
        "",
        secret,
        "");
  }

  @Test
  void everyMissingSettingIsNamedAtOnce() {
    var problems = settings("127.0.0.1:7233", "", "", "", "").validate();
    assertThat(problems).hasSize(3);
    assertThat(String.join("\n", problems))
        .contains("LITELLM_MASTER_KEY")
        .contains("VAULT_TOKEN")
        .contains("KEYTURN_SECRET");
  }

  @Test
  void badValuesAreNamedWithoutEchoingSecrets() {
    var problems =
        settings("no-port", "", dir.resolve("missing").toString(), "t", "not base64 !!").validate();
    String all = String.join("\n", problems);
    assertThat(all).contains("LITELLM_MASTER_KEY_FILE").contains("host:port").contains("base64");
  }

  @Test
  void aCompleteConfigurationValidatesAndSecretFilesAreReadOnUse() throws Exception {
    Path f = dir.resolve("mk");
    Files.writeString(f, "sk-first-management-key\n");
    WorkerSettings s =
        settings("127.0.0.1:7233", "", f.toString(), "t", KeyturnSecret.generateBase64());
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
    }
  }
}
