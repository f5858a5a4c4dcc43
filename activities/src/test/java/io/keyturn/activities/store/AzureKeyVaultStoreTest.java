package io.keyturn.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.util.Context;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import io.keyturn.testkit.azure.KeyVaultFake;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.store.AzureKeyVaultConfig;
import io.temporal.failure.ApplicationFailure;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.time.OffsetDateTime;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * {@link AzureKeyVaultStore} on the real Azure SDK against {@link KeyVaultFake}, a test double of
 * Key Vault's REST API (no Key Vault emulator can be had here). The SDK refuses bearer tokens over
 * plain HTTP, so its requests to {@code https://keyturn-test.vault.azure.net} are sent to the fake
 * by an SDK {@link HttpClient} that changes only the scheme, host and port.
 */
class AzureKeyVaultStoreTest extends SecretStoreContractTest {
  static final String VAULT = "https://keyturn-test.vault.azure.net";
  static final String WRITER = "writer-token";
  static final String READER = "reader-token";
  static KeyVaultFake fake;
  static SecretClient admin;
  static final AtomicInteger n = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    fake =
        new KeyVaultFake(VAULT)
            .grant(WRITER, KeyVaultFake.Access.READ_WRITE)
            .grant(READER, KeyVaultFake.Access.READ_ONLY)
            .start();
    admin = client(config("admin"), WRITER);
  }

  @AfterAll
  static void stop() {
    fake.close();
  }

  static TokenCredential token(String token) {
    return request -> Mono.just(new AccessToken(token, OffsetDateTime.now().plusHours(1)));
  }

  static final HttpClient TO_FAKE = toFake();

  /** Sends what the SDK addresses to the vault to the fake, over plain HTTP on loopback. */
  static HttpClient toFake() {
    HttpClient jdk = new JdkHttpClientBuilder().build();
    return new HttpClient() {
      @Override
      public Mono<HttpResponse> send(HttpRequest request) {
        return jdk.send(redirect(request));
      }

      @Override
      public Mono<HttpResponse> send(HttpRequest request, Context context) {
        return jdk.send(redirect(request), context);
      }

      @Override
      public HttpResponse sendSync(HttpRequest request, Context context) {
        return jdk.sendSync(redirect(request), context);
      }
    };
  }

  static HttpRequest redirect(HttpRequest request) {
    try {
      return request.copy().setUrl(new URL(fake.address() + request.getUrl().getFile()));
    } catch (MalformedURLException e) {
      throw new IllegalStateException(e);
    }
  }

  static AzureKeyVaultConfig config(String name) {
    return new AzureKeyVaultConfig(URI.create(VAULT), name);
  }

  static SecretClient client(AzureKeyVaultConfig config, String token) {
    return AzureKeyVaultStore.newClient(config, token(token), TO_FAKE);
  }

  private AzureKeyVaultStore open(String token) {
    AzureKeyVaultConfig config = config("litellm-store-" + n.incrementAndGet());
    return new AzureKeyVaultStore(config, client(config, token));
  }

  @Override
  protected SecretStore newStore() {
    return open(WRITER);
  }

  @Override
  protected SecretStore failingStore() {
    return open(READER);
  }

  @Test
  void aVersionCarriesContentTypeAndTagsButNotTheValue() {
    AzureKeyVaultStore store = open(WRITER);
    StoreReceipt first = store.write(newKey(), new RotationContext("rotation/svc-a/g1", "g1"));
    String key = newKey();
    StoreReceipt second = store.write(key, new RotationContext("rotation/svc-a/g2", "g2"));

    KeyVaultSecret current = admin.getSecret(store.config().name());
    assertThat(current.getValue()).isEqualTo(key);
    assertThat(current.getProperties().getVersion()).isEqualTo(second.version());
    assertThat(current.getProperties().getContentType()).isEqualTo(AzureKeyVaultStore.CONTENT_TYPE);
    assertThat(current.getProperties().getTags())
        .containsEntry("keyturn-generation", "g2")
        .containsEntry("keyturn-rotation", "rotation/svc-a/g2")
        .containsEntry("keyturn-fingerprint", KeyMaterial.tokenHash(key))
        .containsEntry("keyturn-previous-version", first.version());
    assertThat(current.getProperties().getTags().values()).doesNotContain(key);
  }

  @Test
  void aRestoreSetsTheOldValueAsANewVersionAndDisablesTheUndoneOne() {
    AzureKeyVaultStore store = open(WRITER);
    String first = newKey();
    String second = newKey();
    StoreReceipt one = store.write(first, rotation("g1"));
    StoreReceipt two = store.write(second, rotation("g2"));

    StoreReceipt restored = store.restorePrevious(KeyMaterial.tokenHash(second));

    assertThat(restored.version()).isNotIn(one.version(), two.version());
    assertThat(restored.previousVersion()).isEqualTo(two.version());
    assertThat(admin.getSecret(store.config().name()).getValue()).isEqualTo(first);
    assertThat(admin.getSecret(store.config().name()).getProperties().getTags())
        .containsEntry("keyturn-restored-from", one.version());
    assertThatThrownBy(() -> admin.getSecret(store.config().name(), two.version()))
        .isInstanceOf(HttpResponseException.class)
        .hasMessageContaining("SecretDisabled");
    // The undone value never comes back as current, even through a second rollback.
    assertThat(store.restorePrevious(KeyMaterial.tokenHash(second)).written()).isFalse();
  }

  @Test
  void aWriteToASoftDeletedNameRecoversItFirst() {
    AzureKeyVaultStore store = open(WRITER);
    store.write(newKey(), rotation("g1"));
    store.delete();
    assertThat(fake.requests()).anyMatch(r -> r.equals("DELETE /secrets/" + store.config().name()));
    String next = newKey();

    store.write(next, rotation("g2"));

    assertThat(fake.requests())
        .contains("POST /deletedsecrets/" + store.config().name() + "/recover");
    assertThat(store.currentValue()).contains(next);
  }

  @Test
  void anIdentityThatMayOnlyReadIsRefusedWithThePermissionsNeeded() {
    AzureKeyVaultStore store = open(READER);
    assertThat(store.currentFingerprint()).isEmpty(); // reads work
    assertThatThrownBy(() -> store.write(newKey(), rotation("g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.STORE_DENIED);
              assertThat(f.getOriginalMessage())
                  .contains(store.location())
                  .contains("get, list, set, delete and recover");
            });
  }

  @Test
  void aTokenTheVaultDoesNotKnowIsRefusedBeforeAnythingIsWritten() {
    AzureKeyVaultStore store = open("stranger-token");
    assertThatThrownBy(store::checkUsable)
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(RotationFailures.STORE_DENIED));
  }

  @Test
  void namesFollowKeyVaultsRuleAndSayHowLiteLlmReadsThem() {
    assertThatThrownBy(() -> config("LITELLM_SVC_A"))
        .hasMessageContaining("'name'")
        .hasMessageContaining("os.environ/LITELLM-SVC-A");
    assertThatThrownBy(
            () -> new AzureKeyVaultConfig(URI.create("http://keyturn.vault.azure.net"), "a"))
        .hasMessageContaining("'vaultUrl'");
    assertThatThrownBy(
            () -> new AzureKeyVaultConfig.Type().parse(Map.of("vaultUrl", VAULT, "name", "a_b")))
        .hasMessageContaining("'name'");
    assertThatThrownBy(() -> new AzureKeyVaultConfig.Type().parse(Map.of("name", "a")))
        .hasMessageContaining("'vaultUrl' is required");
    assertThat(
            new AzureKeyVaultConfig.Type()
                .parse(Map.of("vaultUrl", VAULT + "/", "name", "litellm-svc-a"))
                .describe())
        .isEqualTo("keyturn-test.vault.azure.net/litellm-svc-a");
  }
}
