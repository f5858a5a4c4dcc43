package io.keyturn.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.store.StoreTypes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Type names, settings validation and creation through {@link SecretStoreRegistry}. */
class SecretStoreRegistryTest {
  static final JsonHttp http = new JsonHttp(Duration.ofSeconds(1));
  static final SecretStoreRegistry registry =
      SecretStoreRegistry.builtIn(new VaultKv2Client(http, "http://127.0.0.1:1", () -> "t"));

  @AfterAll
  static void close() {
    http.close();
  }

  @Test
  void knowsTheBuiltInTypesAndEachIsAStoreTypeTheCliKnows() {
    assertThat(registry.types())
        .contains(
            "vault-kv2",
            "aws-secretsmanager",
            "file",
            "kubernetes-secret",
            "azure-keyvault",
            "gcp-secretmanager")
        .containsExactlyInAnyOrderElementsOf(StoreTypes.names());
  }

  @Test
  void anUnknownTypeNamesTheKnownOnes() {
    assertThatThrownBy(() -> registry.create("onepassword-vault", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("onepassword-vault")
        .hasMessageContaining("vault-kv2")
        .hasMessageContaining("kubernetes-secret");
  }

  @Test
  void createsEachTypeFromItsSettings() {
    SecretStore vault = registry.create("vault-kv2", Map.of("name", "svc-a"));
    assertThat(vault).isInstanceOf(VaultKv2Store.class);
    assertThat(vault.location()).isEqualTo("vault secret/litellm/svc-a#key");

    try (AwsSecretsManagerStore aws =
        (AwsSecretsManagerStore)
            registry.create(
                "aws-secretsmanager",
                Map.of(
                    "secretId", "litellm/svc-a",
                    "region", "eu-west-1",
                    "endpoint", "http://127.0.0.1:1",
                    "recoveryWindowDays", "0"))) {
      assertThat(aws.config().recoveryWindowDays()).isZero();
      assertThat(aws.location()).isEqualTo("aws-secretsmanager eu-west-1:litellm/svc-a");
    }
  }

  @Test
  void anAzureKeyVaultStoreIsMadeWithoutTouchingAzure() {
    // The default credential chain and the client are built without a call: a worker without
    // Azure credentials starts, and only a use of the store fails.
    SecretStore azure =
        registry.create(
            "azure-keyvault",
            Map.of("vaultUrl", "https://my-vault.vault.azure.net/", "name", "litellm-svc-a"));
    assertThat(azure).isInstanceOf(AzureKeyVaultStore.class);
    assertThat(azure.location()).isEqualTo("azure-keyvault my-vault.vault.azure.net/litellm-svc-a");
    assertThatThrownBy(() -> registry.create("azure-keyvault", Map.of("name", "litellm_svc_a")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'vaultUrl' is required");
  }

  @Test
  void aKubernetesSecretStoreIsMadeWithoutTouchingKubernetes() {
    // No client is built until the first call: a kubeconfig that does not exist is only an error
    // when the store is used, so a worker without Kubernetes access starts.
    try (KubernetesSecretStore k8s =
        (KubernetesSecretStore)
            registry.create(
                "kubernetes-secret",
                Map.of(
                    "namespace", "apps",
                    "name", "litellm-svc-a",
                    "field", "api-key",
                    "kubeconfig", "/no/such/kubeconfig"))) {
      assertThat(k8s.location()).isEqualTo("kubernetes secret apps/litellm-svc-a#api-key");
      assertThatThrownBy(k8s::currentFingerprint)
          .isInstanceOfSatisfying(
              io.temporal.failure.ApplicationFailure.class,
              f -> {
                assertThat(f.getType()).isEqualTo(RotationFailures.STORE_DENIED);
                assertThat(f.getOriginalMessage()).contains("/no/such/kubeconfig");
              });
    }
    assertThatThrownBy(() -> registry.create("kubernetes-secret", Map.of("name", "Bad_Name")))
        .hasMessageContaining("DNS-1123");
  }

  @Test
  void aFileStoreFromSettingsWorks(@TempDir Path dir) {
    SecretStore file =
        registry.create("file", Map.of("path", dir.resolve("app.env").toString(), "field", "KEY"));
    file.write("sk-registry-test-0000", new RotationContext("rotation/r/g1", "g1"));
    assertThat(file.currentFingerprint()).contains(KeyMaterial.tokenHash("sk-registry-test-0000"));
  }

  @Test
  void unknownSettingsAreNamed() {
    assertThatThrownBy(() -> registry.create("file", Map.of("path", "/x.env", "mode", "0644")))
        .hasMessageContaining("[mode]");
  }

  @Test
  void aTypeCannotBeRegisteredTwice() {
    SecretStoreRegistry.Builder builder = SecretStoreRegistry.builder().register("file", s -> null);
    assertThatThrownBy(() -> builder.register("file", s -> null))
        .hasMessageContaining("already registered");
  }

  @Test
  void theIdempotencyTokenIsStablePerRotationAndDiffersAcrossThem() {
    RotationContext a = new RotationContext("rotation/svc-a/g2", "g2");
    assertThat(a.idempotencyToken())
        .isEqualTo(new RotationContext("rotation/svc-a/g2", "g2").idempotencyToken())
        .isNotEqualTo(new RotationContext("rotation/svc-a/g3", "g3").idempotencyToken())
        .hasSize(36);
  }

  @Test
  void vaultDestinationsTakeLiteLlmsNameAndPrefixButNotAPathOrAnotherVault() {
    SecretStoreRegistry registry =
        SecretStoreRegistry.builtIn(
            new io.keyturn.activities.vault.VaultKv2Client(
                new io.keyturn.gateway.http.JsonHttp(java.time.Duration.ofSeconds(1)),
                "http://127.0.0.1:8200",
                () -> "t"));
    assertThat(registry.create("vault-kv2", Map.of("name", "svc-a")).location())
        .isEqualTo("vault secret/litellm/svc-a#key");
    assertThat(
            registry
                .create(
                    "vault-kv2", Map.of("name", "svc-a", "pathPrefix", "teams/x", "mount", "kv"))
                .location())
        .isEqualTo("vault kv/teams/x/svc-a#key");
    assertThat(registry.create("vault-kv2", Map.of("name", "svc-a", "pathPrefix", "/")).location())
        .isEqualTo("vault secret/svc-a#key");
    // keyturn.yaml's schema has no 'path': neither has the worker.
    assertThatThrownBy(() -> registry.create("vault-kv2", Map.of("path", "apps/svc-a")))
        .hasMessageContaining("[path]");
    assertThatThrownBy(
            () ->
                registry.create(
                    "vault-kv2", Map.of("name", "svc-a", "address", "http://vault.other:8200")))
        .hasMessageContaining("VAULT_ADDR");
    assertThat(
            registry
                .create("vault-kv2", Map.of("name", "svc-a", "address", "http://127.0.0.1:8200/"))
                .location())
        .isEqualTo("vault secret/litellm/svc-a#key");
  }
}
