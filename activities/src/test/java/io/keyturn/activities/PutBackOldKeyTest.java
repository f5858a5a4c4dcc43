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
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code putBackOldKey}, a rollback's write: after a publish, the old key (sealed for the worker)
 * is the current value again in a vault-kv2 destination on a real OpenBao and in a file, read back;
 * a retry writes nothing; a sealed value that is not the key writes nothing.
 */
class PutBackOldKeyTest {
  static final String OLD_RAW = "sk-old-key-of-svc-0123456789";
  static OpenBaoDevServer bao;
  static JsonHttp http;
  static VaultKv2Client vault;
  static SecretStoreActivitiesImpl store;
  static WorkerKeyring secret;

  @TempDir static Path dir;

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

  private static MintedKey minted(String alias) {
    KeyDerivation d = secret.bind(new KeyDerivation("rotation/" + alias, alias, "run"));
    return new MintedKey(KeyMaterial.ref(secret.deriveKey(d)), alias, d, null, false);
  }

  private static String vaultValue(String name) {
    return (String)
        vault
            .read(new VaultKv2Client.Secret("secret", "litellm/" + name, null, "key"))
            .orElseThrow()
            .data()
            .get("key");
  }

  @Test
  void theOldKeyIsCurrentAgainInVaultAndInAFileAndARetryWritesNothing() throws Exception {
    Path env = dir.resolve("svc.env");
    Files.writeString(env, "OTHER=1\nKEY=" + OLD_RAW + "\n");
    Destination v = new Destination("vault-kv2", Map.of("name", "svc-put-back"));
    Destination f =
        new Destination("file", Map.of("path", env.toString(), "format", "env", "field", "KEY"));
    KeyRef old = KeyMaterial.ref(OLD_RAW);
    MintedKey minted = minted("keyturn-svc-g1");
    for (Destination d : List.of(v, f)) {
      store.publishTo(d, minted);
    }
    assertThat(vaultValue("svc-put-back")).isEqualTo(secret.deriveKey(minted.derivation()));

    for (Destination d : List.of(v, f)) {
      PublishReceipt r = store.putBackOldKey(d, old, secret.seal(OLD_RAW), "rotation/svc", 1);
      assertThat(r.written()).as(d.describe()).isTrue();
      PublishReceipt again = store.putBackOldKey(d, old, secret.seal(OLD_RAW), "rotation/svc", 1);
      assertThat(again.written()).as(d.describe() + " retried").isFalse();
    }
    assertThat(vaultValue("svc-put-back")).isEqualTo(OLD_RAW);
    assertThat(Files.readString(env)).isEqualTo("OTHER=1\nKEY=" + OLD_RAW + "\n");
    assertThat(store.readCurrentKey(v).ref()).isEqualTo(old);
  }

  @Test
  void aSealedValueThatIsNotTheKeyWritesNothing() {
    Destination v = new Destination("vault-kv2", Map.of("name", "svc-mismatch"));
    MintedKey minted = minted("keyturn-svc-mismatch-g1");
    store.publishTo(v, minted);
    KeyRef old = KeyMaterial.ref(OLD_RAW);
    assertThatThrownBy(
            () ->
                store.putBackOldKey(
                    v, old, secret.seal("sk-some-other-key-987654321"), "rotation/svc", 1))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            e -> {
              assertThat(e.getType()).isEqualTo(RotationFailures.SEALING_KEY_MISMATCH);
              assertThat(e.isNonRetryable()).isTrue();
              assertThat(e.getOriginalMessage()).contains(old.fingerprint()).contains("nothing");
            });
    assertThat(vaultValue("svc-mismatch")).isEqualTo(secret.deriveKey(minted.derivation()));
  }

  /**
   * {@code publishSealed}, a provider key's publish: at LiteLLM's own Vault layout ({@code
   * secret/<NAME>#key}, what {@code os.environ/NAME} reads with {@code hashicorp_vault}), a key
   * handed in from a file with its newline is written without it; a retry writes nothing.
   */
  @Test
  void aSealedProviderKeyIsPublishedWhereTheProxyReadsItAndARetryWritesNothing() {
    Destination v =
        new Destination("vault-kv2", Map.of("name", "OPENAI_API_KEY_T", "pathPrefix", "/"));
    String raw = "sk-proj-provider-key-" + "p".repeat(24);
    KeyRef ref = KeyMaterial.ref(raw);
    PublishReceipt r =
        store.publishSealed(v, ref, secret.seal(raw + "\n"), "provider-key/g", "pk-1");
    assertThat(r.written()).isTrue();
    assertThat(r.location()).endsWith(" secret/OPENAI_API_KEY_T#key");
    assertThat(
            vault
                .read(new VaultKv2Client.Secret("secret", "OPENAI_API_KEY_T", null, "key"))
                .orElseThrow()
                .data()
                .get("key"))
        .isEqualTo(raw);
    assertThat(store.publishSealed(v, ref, secret.seal(raw), "provider-key/g", "pk-1").written())
        .isFalse();
  }
}
