package io.keyturn.activities;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.activities.vault.SecretStoreActivitiesImpl;
import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.VaultTarget;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Publishing to a real OpenBao dev server over the Vault KV v2 API. */
class VaultPublishTest {
  static OpenBaoDevServer bao;
  static JsonHttp http;
  static VaultKv2Client vault;
  static SecretStoreActivitiesImpl store;
  static WorkerKeyring secret;
  static final AtomicInteger n = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    bao = OpenBaoDevServer.builder().build();
    bao.start();
    http = new JsonHttp(Duration.ofSeconds(5));
    vault = new VaultKv2Client(http, bao.address(), bao::rootToken);
    secret = WorkerKeyring.generate();
    store = new SecretStoreActivitiesImpl(vault, secret);
  }

  @AfterAll
  static void stop() throws Exception {
    http.close();
    bao.close();
  }

  private MintedKey minted(String alias) {
    KeyDerivation d = secret.bind(new KeyDerivation("rotation/x/" + alias, alias, "run"));
    return new MintedKey(KeyMaterial.ref(secret.deriveKey(d)), alias, d, null, false);
  }

  private VaultTarget target() {
    return new VaultTarget("secret", "litellm/", "svc-" + n.incrementAndGet(), null, null);
  }

  private String valueIn(VaultTarget t) {
    return (String) vault.read(t).orElseThrow().data().get("key");
  }

  @Test
  void publishesInLiteLlmsFormatAndARetryWritesNothingNew() {
    VaultTarget t = target();
    MintedKey k = minted("keyturn-a-g1");
    PublishReceipt first = store.publishKey(t, k);
    assertThat(first.written()).isTrue();
    assertThat(first.version()).isEqualTo(1);
    assertThat(first.previousVersion()).isZero();
    assertThat(KeyMaterial.tokenHash(valueIn(t))).isEqualTo(k.ref().tokenHash());

    PublishReceipt again = store.publishKey(t, k);
    assertThat(again.written()).isFalse();
    assertThat(again.version()).isEqualTo(1);
  }

  @Test
  void aSecondRotationKeepsOtherFieldsAndUndoPutsThePreviousValueBack() {
    VaultTarget t = target();
    vault.write(t, Map.of("key", "sk-previous-value-123456", "base_url", "http://proxy"), 0);
    MintedKey k = minted("keyturn-b-g2");
    PublishReceipt r = store.publishKey(t, k);
    assertThat(r.version()).isEqualTo(2);
    assertThat(vault.read(t).orElseThrow().data()).containsEntry("base_url", "http://proxy");

    String said = store.unpublishKey(t, k);
    assertThat(said).contains("version 1");
    assertThat(valueIn(t)).isEqualTo("sk-previous-value-123456");
    // Idempotent: the store no longer holds the new key, so nothing more happens.
    assertThat(store.unpublishKey(t, k)).contains("nothing to undo");
    assertThat(vault.read(t).orElseThrow().version()).isEqualTo(3);
  }

  @Test
  void undoOfAFirstVersionDeletesIt() {
    VaultTarget t = target();
    MintedKey k = minted("keyturn-c-g1");
    store.publishKey(t, k);
    store.unpublishKey(t, k);
    assertThat(vault.read(t).orElseThrow().data()).isEmpty();
  }

  @Test
  void aConcurrentWriterIsDetectedNotOverwritten() {
    VaultTarget t = target();
    vault.write(t, Map.of("key", "sk-someone-else-000000"), 0);
    assertThatThrownBy(() -> vault.write(t, Map.of("key", "sk-mine-0000000000000"), 0))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(RotationFailures.VAULT_CONFLICT));
    assertThat(valueIn(t)).isEqualTo("sk-someone-else-000000");
  }

  @Test
  void aBadTokenFailsForGoodNamingThePathAndTheFix() {
    SecretStoreActivitiesImpl denied =
        new SecretStoreActivitiesImpl(
            new VaultKv2Client(http, bao.address(), () -> "not-a-token"), secret);
    VaultTarget t = target();
    assertThatThrownBy(() -> denied.publishKey(t, minted("keyturn-d-g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.VAULT_DENIED);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage())
                  .contains(t.secretPath())
                  .contains("VAULT_TOKEN")
                  .doesNotContain("not-a-token");
            });
  }

  @Test
  void aMissingMountIsNamed() {
    VaultTarget t = new VaultTarget("nosuchmount", "", "x", null, null);
    assertThatThrownBy(() -> store.publishKey(t, minted("keyturn-e-g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getOriginalMessage()).contains("nosuchmount"));
  }
}
