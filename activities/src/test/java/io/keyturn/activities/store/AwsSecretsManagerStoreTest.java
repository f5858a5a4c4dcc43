package io.keyturn.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.testkit.launch.MotoServer;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.store.AwsSecretsManagerConfig;
import io.temporal.failure.ApplicationFailure;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;

/** {@link AwsSecretsManagerStore} against a real moto server. */
class AwsSecretsManagerStoreTest extends SecretStoreContractTest {
  static final AwsCredentialsProvider TEST_CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));
  static MotoServer moto;
  static SecretsManagerClient aws;
  static final AtomicInteger n = new AtomicInteger();
  final List<AwsSecretsManagerStore> opened = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    moto = MotoServer.builder().build().start();
    aws =
        SecretsManagerClient.builder()
            .region(Region.US_EAST_1)
            .endpointOverride(URI.create(moto.address()))
            .credentialsProvider(TEST_CREDENTIALS)
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .build();
  }

  @AfterAll
  static void stop() {
    aws.close();
    moto.close();
  }

  @AfterEach
  void closeStores() {
    opened.forEach(AwsSecretsManagerStore::close);
  }

  private AwsSecretsManagerStore open(String jsonField, int recoveryWindowDays, URI endpoint) {
    AwsSecretsManagerStore store =
        new AwsSecretsManagerStore(
            new AwsSecretsManagerConfig(
                "litellm/store-" + n.incrementAndGet(),
                "us-east-1",
                endpoint,
                jsonField,
                recoveryWindowDays),
            TEST_CREDENTIALS);
    opened.add(store);
    return store;
  }

  @Override
  protected SecretStore newStore() {
    return open(null, 7, URI.create(moto.address()));
  }

  @Override
  protected SecretStore failingStore() {
    // Nothing listens on port 1 of loopback: every call fails to connect.
    return open(null, 7, URI.create("http://127.0.0.1:1"));
  }

  private String currentString(AwsSecretsManagerStore store) {
    return aws.getSecretValue(r -> r.secretId(store.config().secretId()).versionStage("AWSCURRENT"))
        .secretString();
  }

  private Map<String, List<String>> stages(AwsSecretsManagerStore store) {
    DescribeSecretResponse d = aws.describeSecret(r -> r.secretId(store.config().secretId()));
    return d.versionIdsToStages();
  }

  @Test
  void writesThePlainKeyAsLiteLlmDoesAndMovesTheStagingLabels() {
    AwsSecretsManagerStore store = open(null, 7, URI.create(moto.address()));
    String first = newKey();
    String second = newKey();
    RotationContext g2 = new RotationContext("rotation/svc-a/g2", "g2");
    StoreReceipt one = store.write(first, new RotationContext("rotation/svc-a/g1", "g1"));
    StoreReceipt two = store.write(second, g2);

    assertThat(currentString(store)).isEqualTo(second);
    assertThat(two.version()).isEqualTo(g2.idempotencyToken());
    assertThat(stages(store))
        .containsEntry(two.version(), List.of("AWSCURRENT"))
        .containsEntry(one.version(), List.of("AWSPREVIOUS"));
  }

  @Test
  void aRetryAfterThePendingVersionWasPutFinishesTheSameVersion() {
    AwsSecretsManagerStore store = open(null, 7, URI.create(moto.address()));
    store.write(newKey(), rotation("g1"));
    String next = newKey();
    RotationContext rotation = rotation("g2");
    // A first attempt that died after PutSecretValue, before the label moved.
    aws.putSecretValue(
        r ->
            r.secretId(store.config().secretId())
                .clientRequestToken(rotation.idempotencyToken())
                .secretString(next)
                .versionStages("AWSPENDING"));

    StoreReceipt receipt = store.write(next, rotation);

    assertThat(receipt.written()).isTrue();
    assertThat(receipt.version()).isEqualTo(rotation.idempotencyToken());
    assertThat(currentString(store)).isEqualTo(next);
    assertThat(stages(store)).hasSize(2);
  }

  @Test
  void aJsonFieldKeepsTheOtherFields() {
    AwsSecretsManagerStore store = open("api_key", 7, URI.create(moto.address()));
    aws.createSecret(
        r -> r.name(store.config().secretId()).secretString("{\"base_url\":\"http://proxy\"}"));
    String key = newKey();

    store.write(key, rotation("g1"));

    assertThat(currentString(store))
        .isEqualTo("{\"base_url\":\"http://proxy\",\"api_key\":\"" + key + "\"}");
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash(key));
  }

  @Test
  void aJsonFieldIsNotForcedIntoAPlainStringSecret() {
    AwsSecretsManagerStore store = open("api_key", 7, URI.create(moto.address()));
    aws.createSecret(r -> r.name(store.config().secretId()).secretString("sk-plain-old-00000"));
    assertThatThrownBy(() -> store.write(newKey(), rotation("g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.STORE_UNREADABLE);
              assertThat(f.getOriginalMessage()).doesNotContain("sk-plain-old");
            });
    assertThat(currentString(store)).isEqualTo("sk-plain-old-00000");
  }

  @Test
  void deleteWithoutRecoveryFreesTheNameAtOnce() {
    AwsSecretsManagerStore store = open(null, 0, URI.create(moto.address()));
    store.write(newKey(), rotation("g1"));
    store.delete();
    assertThatThrownBy(() -> aws.describeSecret(r -> r.secretId(store.config().secretId())))
        .hasMessageContaining("can't find");
  }

  @Test
  void configNamesTheFieldAndTheFix() {
    assertThatThrownBy(() -> AwsSecretsManagerConfig.plain(" ", "us-east-1"))
        .hasMessageContaining("'secretId'");
    assertThatThrownBy(() -> AwsSecretsManagerConfig.plain("a", "Frankfurt"))
        .hasMessageContaining("'region'");
    assertThatThrownBy(
            () ->
                new AwsSecretsManagerConfig.Type()
                    .parse(
                        Map.of("secretId", "a", "region", "eu-west-1", "recoveryWindowDays", "3")))
        .hasMessageContaining("'recoveryWindowDays'");
    assertThatThrownBy(
            () ->
                new AwsSecretsManagerConfig.Type()
                    .parse(Map.of("secretId", "a", "region", "eu-west-1", "endpoint", "ftp://x")))
        .hasMessageContaining("'endpoint'");
  }
}
