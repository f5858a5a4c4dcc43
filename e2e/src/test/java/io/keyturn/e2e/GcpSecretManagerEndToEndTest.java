package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.activities.store.GcpSecretManagerStore;
import io.keyturn.testkit.launch.GcpSecretManagerFake;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.store.GcpSecretManagerConfig;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A rotation publishing to Vault and Google Secret Manager at once, on the real dev server, worker
 * and CLI; Secret Manager is {@link GcpSecretManagerFake} (a test double: the emulator cannot be
 * had here), which the worker reaches through the destination's {@code endpoint}. A write Secret
 * Manager refuses (a missing secret with {@code createIfMissing=false}) puts Vault back and leaves
 * the old key working.
 */
class GcpSecretManagerEndToEndTest extends OnE2eStack {
  static GcpSecretManagerFake gcp;

  @BeforeAll
  static void startGcp() throws Exception {
    gcp = new GcpSecretManagerFake().start();
  }

  @AfterAll
  static void stopGcp() {
    if (gcp != null) {
      gcp.close();
    }
  }

  private static Optional<String> gcpValue(String name) {
    try (GcpSecretManagerStore s =
        new GcpSecretManagerStore(
            new GcpSecretManagerConfig("keyturn-e2e", name, false, gcp.endpoint()))) {
      return s.currentValue();
    }
  }

  private static Cli.Result rotate(String app, String oldKey, String gcpSettings) throws Exception {
    return keyturn(
        "rotate",
        "--secret-id",
        app,
        "--key-file",
        file(app + ".key", oldKey).toString(),
        "--gateway",
        litellm.baseUrl(),
        "--grace",
        "1s",
        "--to",
        "vault-kv2:name=" + app,
        "--to",
        "gcp-secretmanager:project=keyturn-e2e,name="
            + app
            + ",endpoint="
            + gcp.endpoint()
            + gcpSettings,
        "--wait",
        "--json");
  }

  @Test
  void aRotationPublishesToVaultAndSecretManagerBeforeRevoking() throws Exception {
    String old =
        litellm.createKey(Map.of("key_alias", "app-gcp", "models", List.of("gpt-4o-mini")));

    Cli.Result r = rotate("app-gcp", old, "");

    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    String inVault = VaultKeys.of(bao, "app-gcp");
    assertThat(gcpValue("app-gcp")).contains(inVault);
    assertThat(litellm.liveKeys())
        .anyMatch(k -> k.tokenHash().equals(KeyMaterial.tokenHash(inVault)))
        .noneMatch(k -> k.tokenHash().equals(KeyMaterial.tokenHash(old)));
    assertThat(r.out() + r.err()).doesNotContain(inVault).doesNotContain(old);
  }

  @Test
  void aWriteSecretManagerRefusesPutsVaultBackAndKeepsTheOldKey() throws Exception {
    String old =
        litellm.createKey(Map.of("key_alias", "app-gcx", "models", List.of("gpt-4o-mini")));

    Cli.Result r = rotate("app-gcx", old, ",createIfMissing=false");

    assertThat(r.exit()).as(r.out() + r.err()).isNotZero();
    assertThat(r.out() + r.err()).contains("createIfMissing");
    assertThat(VaultKeys.read(bao, "secret", "app-gcx")).isEmpty();
    assertThat(gcpValue("app-gcx")).isEmpty();
    assertThat(litellm.liveKeys())
        .anyMatch(k -> k.tokenHash().equals(KeyMaterial.tokenHash(old)))
        .noneMatch(k -> String.valueOf(k.keyAlias()).startsWith("keyturn-app-gcx-g"));
  }
}
