package io.keyturn.activities;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.activities.store.SecretStoreActivitiesImpl;
import io.keyturn.activities.store.SecretStoreRegistry;
import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code readCurrentProviderKey}, the provider-key rotation's read of the key a proxy reads from a
 * store, on a real OpenBao at LiteLLM's own layout ({@code secret/<NAME>#key}): keys of every
 * provider's shape are read, sealed and put back; the virtual-key read still refuses them.
 */
class ProviderKeyStoreReadTest {
  static OpenBaoDevServer bao;
  static JsonHttp http;
  static VaultKv2Client vault;
  static SecretStoreActivitiesImpl store;
  static WorkerKeyring secret;

  @BeforeAll
  static void start() throws Exception {
    bao = OpenBaoDevServer.builder().build();
    bao.start();
    http = new JsonHttp(Duration.ofSeconds(5));
    vault = new VaultKv2Client(http, bao.address(), bao::rootToken);
    secret = WorkerKeyring.generate();
    store = new SecretStoreActivitiesImpl(SecretStoreRegistry.builtIn(vault), secret);
  }

  @AfterAll
  static void stop() throws Exception {
    http.close();
    bao.close();
  }

  private static Destination holding(String name, String value) {
    vault.write(new VaultKv2Client.Secret("secret", name, null, "key"), Map.of("key", value), 0);
    return new Destination("vault-kv2", Map.of("name", name, "pathPrefix", "/"));
  }

  private static String held(String name) {
    return (String)
        vault
            .read(new VaultKv2Client.Secret("secret", name, null, "key"))
            .orElseThrow()
            .data()
            .get("key");
  }

  @Test
  void keysOfEveryProvidersShapeAreReadSealedAndPutBackButNotAsVirtualKeys() {
    List<String> keys =
        List.of(
            "gsk_" + "Gr0qKey".repeat(7),
            "AIzaSy" + "Gemini_-1".repeat(4),
            "sk-ant-api03-" + "An+th/ro=pic".repeat(5),
            "0123456789abcdef".repeat(2));
    for (int i = 0; i < keys.size(); i++) {
      String raw = keys.get(i);
      Destination d = holding("PROVIDER_KEY_" + i, raw);

      CurrentKey c = store.readCurrentProviderKey(d);

      assertThat(c.ref()).as(d.describe()).isEqualTo(KeyMaterial.ref(raw));
      assertThat(secret.open(c.sealed())).isEqualTo(raw);
      assertThat(c.location()).endsWith("secret/PROVIDER_KEY_" + i + "#key").doesNotContain(raw);
      assertThat(c.toString()).doesNotContain(raw);
      // the rollback's write of what was read: the store holds it already, nothing is written
      assertThat(store.publishSealed(d, c.ref(), c.sealed(), "provider-key/t", "pk-1").written())
          .isFalse();
      assertThatThrownBy(() -> store.readCurrentKey(d))
          .isInstanceOfSatisfying(
              ApplicationFailure.class,
              e -> {
                assertThat(e.getType()).isEqualTo(RotationFailures.DESTINATION_INVALID);
                assertThat(e.getOriginalMessage()).contains("not a LiteLLM virtual key");
              });
    }
  }

  @Test
  void aKeyWithItsNewlineIsReadWithoutItAndPutBackWithoutIt() {
    String raw = "gsk_" + "n".repeat(40);
    Destination d = holding("PROVIDER_KEY_NL", raw + "\n");
    CurrentKey c = store.readCurrentProviderKey(d);
    assertThat(c.ref()).isEqualTo(KeyMaterial.ref(raw));
    assertThat(secret.open(c.sealed())).isEqualTo(raw);
    assertThat(store.publishSealed(d, c.ref(), c.sealed(), "provider-key/t", "pk-2").written())
        .isTrue();
    assertThat(held("PROVIDER_KEY_NL")).isEqualTo(raw);
  }

  @Test
  void aValueOfSeveralLinesIsRefusedWithoutShowingItAndOnlyWhitespaceIsNoKey() {
    String pem = "-----BEGIN PRIVATE KEY-----\nMIIEv" + "q".repeat(30) + "\n-----END-----";
    Destination d = holding("PROVIDER_KEY_PEM", pem);
    assertThatThrownBy(() -> store.readCurrentProviderKey(d))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            e -> {
              assertThat(e.getType()).isEqualTo(RotationFailures.DESTINATION_INVALID);
              assertThat(e.isNonRetryable()).isTrue();
              assertThat(e.getOriginalMessage())
                  .contains("secret/PROVIDER_KEY_PEM#key")
                  .contains("3 lines")
                  .doesNotContain("MIIEv")
                  .doesNotContain("PRIVATE");
            });
    assertThat(store.readCurrentProviderKey(holding("PROVIDER_KEY_BLANK", " \n"))).isNull();
    assertThat(
            store.readCurrentProviderKey(
                new Destination("vault-kv2", Map.of("name", "NOTHING_HERE", "pathPrefix", "/"))))
        .isNull();
  }
}
