package io.keyturn.activities;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.activities.store.SecretStoreActivitiesImpl;
import io.keyturn.activities.store.SecretStoreRegistry;
import io.keyturn.activities.vault.VaultAuth;
import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Publishing to vault-kv2 destinations on a real OpenBao dev server, through the activities. */
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
    store = activities(vault);
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

  private static SecretStoreActivitiesImpl activities(VaultKv2Client client) {
    return new SecretStoreActivitiesImpl(SecretStoreRegistry.builtIn(client), secret);
  }

  private Destination target() {
    return new Destination("vault-kv2", Map.of("name", "svc-" + n.incrementAndGet()));
  }

  /** The secret a vault-kv2 destination names, as the client reads it. */
  private static VaultKv2Client.Secret secretOf(Destination d) {
    return new VaultKv2Client.Secret(
        d.get("mount", "secret"),
        d.get("pathPrefix", "litellm/") + d.get("name", null),
        null,
        "key");
  }

  private String valueIn(Destination t) {
    return (String) vault.read(secretOf(t)).orElseThrow().data().get("key");
  }

  @Test
  void publishesInLiteLlmsFormatAndARetryWritesNothingNew() {
    Destination t = target();
    MintedKey k = minted("keyturn-a-g1");
    PublishReceipt first = store.publishTo(t, k);
    assertThat(first.written()).isTrue();
    assertThat(first.version()).isEqualTo(1);
    assertThat(first.previousVersion()).isZero();
    assertThat(KeyMaterial.tokenHash(valueIn(t))).isEqualTo(k.ref().tokenHash());

    PublishReceipt again = store.publishTo(t, k);
    assertThat(again.written()).isFalse();
    assertThat(again.version()).isEqualTo(1);
  }

  @Test
  void aSecondRotationKeepsOtherFieldsAndUndoPutsThePreviousValueBack() {
    Destination t = target();
    vault.write(
        secretOf(t), Map.of("key", "sk-previous-value-123456", "base_url", "http://proxy"), 0);
    MintedKey k = minted("keyturn-b-g2");
    PublishReceipt r = store.publishTo(t, k);
    assertThat(r.version()).isEqualTo(2);
    assertThat(vault.read(secretOf(t)).orElseThrow().data())
        .containsEntry("base_url", "http://proxy");

    String said = store.restoreAt(t, k);
    assertThat(said).contains("previous value put back (version 3)");
    assertThat(valueIn(t)).isEqualTo("sk-previous-value-123456");
    // Idempotent: the store no longer holds the new key, so nothing more happens.
    assertThat(store.restoreAt(t, k)).contains("nothing to undo");
    assertThat(vault.read(secretOf(t)).orElseThrow().version()).isEqualTo(3);
  }

  @Test
  void undoOfAFirstVersionDeletesIt() {
    Destination t = target();
    MintedKey k = minted("keyturn-c-g1");
    store.publishTo(t, k);
    store.restoreAt(t, k);
    assertThat(vault.read(secretOf(t)).orElseThrow().data()).isEmpty();
  }

  @Test
  void aConcurrentWriterIsDetectedNotOverwritten() {
    Destination t = target();
    vault.write(secretOf(t), Map.of("key", "sk-someone-else-000000"), 0);
    assertThatThrownBy(() -> vault.write(secretOf(t), Map.of("key", "sk-mine-0000000000000"), 0))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(RotationFailures.VAULT_CONFLICT));
    assertThat(valueIn(t)).isEqualTo("sk-someone-else-000000");
  }

  @Test
  void aBadTokenFailsForGoodNamingThePathAndTheFix() {
    SecretStoreActivitiesImpl denied =
        activities(new VaultKv2Client(http, bao.address(), () -> "not-a-token"));
    Destination t = target();
    assertThatThrownBy(() -> denied.publishTo(t, minted("keyturn-d-g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.VAULT_DENIED);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage())
                  .contains("litellm/" + t.get("name", null))
                  .contains("VAULT_TOKEN")
                  .doesNotContain("not-a-token");
            });
  }

  @Test
  void aMissingMountIsNamed() {
    Destination t =
        new Destination("vault-kv2", Map.of("mount", "nosuchmount", "pathPrefix", "", "name", "x"));
    assertThatThrownBy(() -> store.publishTo(t, minted("keyturn-e-g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getOriginalMessage()).contains("nosuchmount"));
  }

  @Test
  void aWorkerWithoutVaultCredentialsFailsTheDestinationCheckNamingTheVariables() {
    SecretStoreActivitiesImpl noCredentials =
        activities(new VaultKv2Client(http, bao.address(), VaultAuth.missing()));
    Destination t = target();
    assertThatThrownBy(() -> noCredentials.checkDestination(t))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getType()).isEqualTo(RotationFailures.DESTINATION_INVALID);
              assertThat(f.getOriginalMessage())
                  .contains("litellm/" + t.get("name", null))
                  .contains("VAULT_TOKEN")
                  .contains("VAULT_ROLE_ID")
                  .contains("VAULT_SECRET_ID");
            });
    // Other stores on the same worker are usable: only Vault needs Vault credentials.
    noCredentials.checkDestination(
        new Destination(
            "file", Map.of("path", System.getProperty("java.io.tmpdir") + "/keyturn-novault.env")));
  }
}
