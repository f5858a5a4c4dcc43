package io.keyturn.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.store.VaultKv2Config;
import io.temporal.failure.ApplicationFailure;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link VaultKv2Store} against a real OpenBao dev server. */
class VaultKv2StoreTest extends SecretStoreContractTest {
  static OpenBaoDevServer bao;
  static JsonHttp http;
  static VaultKv2Client vault;
  static final AtomicInteger n = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    bao = OpenBaoDevServer.builder().build().start();
    http = new JsonHttp(Duration.ofSeconds(5));
    vault = new VaultKv2Client(http, bao.address(), bao::rootToken);
  }

  @AfterAll
  static void stop() {
    http.close();
    bao.close();
  }

  private static VaultKv2Config freshConfig(String field) {
    return new VaultKv2Config(null, "litellm/store-" + n.incrementAndGet(), null, field);
  }

  @Override
  protected SecretStore newStore() {
    return new VaultKv2Store(vault, freshConfig(null));
  }

  @Override
  protected SecretStore failingStore() {
    return new VaultKv2Store(
        new VaultKv2Client(http, bao.address(), () -> "not-a-token"), freshConfig(null));
  }

  @Test
  void writesLiteLlmsFormatKeepsOtherFieldsAndRecordsMetadata() throws Exception {
    VaultKv2Config config = freshConfig(null);
    vault.write(VaultKv2Store.secretOf(config), Map.of("base_url", "http://proxy"), 0);
    VaultKv2Store store = new VaultKv2Store(vault, config);
    String key = newKey();

    StoreReceipt receipt = store.write(key, new RotationContext("rotation/svc-a/g7", "g7"));

    assertThat(receipt.version()).isEqualTo("2");
    assertThat(receipt.previousVersion()).isEqualTo("1");
    assertThat(vault.read(VaultKv2Store.secretOf(config)).orElseThrow().data())
        .containsEntry("key", key)
        .containsEntry("base_url", "http://proxy");
    JsonNode custom = metadata(config).path("custom_metadata");
    assertThat(custom.path("keyturn_generation").asText()).isEqualTo("g7");
    assertThat(custom.path("keyturn_workflow_id").asText()).isEqualTo("rotation/svc-a/g7");
    assertThat(custom.path("keyturn_fingerprint").asText()).isEqualTo(KeyMaterial.tokenHash(key));
    assertThat(custom.toString()).doesNotContain(key);
  }

  @Test
  void aConfiguredFieldIsUsedInsteadOfKey() {
    VaultKv2Config config = freshConfig("api_key");
    String key = newKey();
    new VaultKv2Store(vault, config).write(key, rotation("g1"));
    assertThat(vault.read(VaultKv2Store.secretOf(config)).orElseThrow().data())
        .containsOnlyKeys("api_key")
        .containsEntry("api_key", key);
  }

  @Test
  void aWriterBetweenReadAndWriteIsDetectedByCheckAndSet() {
    VaultKv2Config config = freshConfig(null);
    String theirs = newKey();
    // A client that lets another writer in right after Keyturn's read.
    VaultKv2Client racing =
        new VaultKv2Client(http, bao.address(), bao::rootToken) {
          boolean raced;

          @Override
          public long write(VaultKv2Client.Secret t, Map<String, Object> d, long cas) {
            if (!raced) {
              raced = true;
              vault.write(t, Map.of("key", theirs), 0);
            }
            return super.write(t, d, cas);
          }
        };
    VaultKv2Store store = new VaultKv2Store(racing, config);

    assertThatThrownBy(() -> store.write(newKey(), rotation("g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(RotationFailures.VAULT_CONFLICT));
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(theirs));
  }

  @Test
  void aMountThatDoesNotExistIsRefusedAtTheFirstReadNotTakenForAnAbsentSecret() {
    VaultKv2Store store =
        new VaultKv2Store(vault, new VaultKv2Config("kv-not-mounted", "litellm/x", null, null));
    // The destination check reads before anything is minted: it must fail there.
    assertThatThrownBy(store::currentFingerprint)
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getType()).isEqualTo(RotationFailures.VAULT_DENIED);
              assertThat(f.getOriginalMessage()).contains("mounted at 'kv-not-mounted'");
            });
  }

  @Test
  void configNamesTheMissingField() {
    assertThatThrownBy(() -> new VaultKv2Config("secret", " ", null, null))
        .hasMessageContaining("'path'");
    assertThatThrownBy(() -> new VaultKv2Config.Type().parse(Map.of("name", "a", "feild", "x")))
        .hasMessageContaining("feild");
    // The schema's settings and no others: a 'path' beside them is refused, not taken.
    assertThatThrownBy(() -> new VaultKv2Config.Type().parse(Map.of("path", "litellm/a")))
        .hasMessageContaining("[path]");
    VaultKv2Config c = new VaultKv2Config.Type().parse(Map.of("name", "a"));
    assertThat(c.field()).isEqualTo("key");
    assertThat(c.path()).isEqualTo(VaultKv2Config.DEFAULT_PATH_PREFIX + "a");
  }

  private static JsonNode metadata(VaultKv2Config config) throws Exception {
    HttpClient client = HttpClient.newHttpClient();
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(bao.address() + "/v1/secret/metadata/" + config.path()))
            .header("X-Vault-Token", bao.rootToken())
            .GET()
            .build();
    String body = client.send(request, HttpResponse.BodyHandlers.ofString()).body();
    return HttpBodies.tree(body).path("data");
  }
}
