package io.keyturn.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.testkit.launch.GcpSecretManagerFake;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.store.GcpSecretManagerConfig;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link GcpSecretManagerStore} against an in-memory Secret Manager served over gRPC ({@link
 * GcpSecretManagerFake}), through the real Google client.
 */
class GcpSecretManagerStoreTest extends SecretStoreContractTest {
  static GcpSecretManagerFake gcp;
  static final AtomicInteger n = new AtomicInteger();
  final List<GcpSecretManagerStore> opened = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    gcp = new GcpSecretManagerFake().start();
  }

  @AfterAll
  static void stop() {
    gcp.close();
  }

  @AfterEach
  void closeStores() {
    opened.forEach(GcpSecretManagerStore::close);
  }

  private GcpSecretManagerStore open(String project, boolean createIfMissing) {
    GcpSecretManagerStore store =
        new GcpSecretManagerStore(
            new GcpSecretManagerConfig(
                project, "litellm-store-" + n.incrementAndGet(), createIfMissing, gcp.endpoint()));
    opened.add(store);
    return store;
  }

  @Override
  protected SecretStore newStore() {
    return open("keyturn-test", true);
  }

  @Override
  protected SecretStore failingStore() {
    return open("denied-project", true);
  }

  @Test
  void aDeniedIdentityIsNotRetriedAndNamesThePermissions() {
    assertThatThrownBy(() -> failingStore().checkUsable())
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.STORE_DENIED);
              assertThat(f.getOriginalMessage()).contains("secretmanager.versions.add");
            });
  }

  @Test
  void aMissingSecretIsNotCreatedWhenTheSettingsSayNot() {
    GcpSecretManagerStore store = open("keyturn-test", false);
    assertThatThrownBy(() -> store.write(newKey(), rotation("g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getOriginalMessage()).contains("'createIfMissing' is false"));
    assertThat(store.currentFingerprint()).isEmpty();
  }

  @Test
  void labelsAreWhatSecretManagerAllows() {
    Map<String, String> labels =
        GcpSecretManagerStore.labels(
            Map.of("team", "billing"),
            new RotationContext("rotation/svc-a/G7", "G7.x"),
            "ab".repeat(32));
    assertThat(labels)
        .containsEntry("team", "billing")
        .containsEntry("keyturn-generation", "g7-x")
        .containsEntry("keyturn-fingerprint", "abababababababab");
    assertThat(GcpSecretManagerStore.labelValue("x".repeat(80))).hasSize(63);
  }

  @Test
  void aMissingProjectFailsTheDestinationCheckNamingTheSetting() {
    JsonHttp http = new JsonHttp(Duration.ofSeconds(1));
    try {
      SecretStoreActivitiesImpl activities =
          new SecretStoreActivitiesImpl(
              SecretStoreRegistry.builtIn(
                  new VaultKv2Client(http, "http://127.0.0.1:1", () -> "t")),
              null);
      assertThatThrownBy(
              () ->
                  activities.checkDestination(
                      new Destination(GcpSecretManagerConfig.TYPE, Map.of("name", "litellm-a"))))
          .isInstanceOfSatisfying(
              ApplicationFailure.class,
              f -> {
                assertThat(f.getType()).isEqualTo(RotationFailures.DESTINATION_INVALID);
                assertThat(f.isNonRetryable()).isTrue();
                assertThat(f.getOriginalMessage()).contains("'project' is required");
              });
    } finally {
      http.close();
    }
  }

  @Test
  void configNamesTheSettingAndTheFix() {
    GcpSecretManagerConfig.Type type = new GcpSecretManagerConfig.Type();
    assertThatThrownBy(() -> type.parse(Map.of("project", "my-project", "name", "a/b")))
        .hasMessageContaining("'name'");
    assertThatThrownBy(() -> type.parse(Map.of("project", "My Project", "name", "a")))
        .hasMessageContaining("'project'");
    assertThatThrownBy(
            () -> type.parse(Map.of("project", "my-project", "name", "a", "endpoint", "http://x")))
        .hasMessageContaining("'endpoint'");
    assertThat(type.parse(Map.of("project", "my-project", "name", "litellm-a")).createIfMissing())
        .isTrue();
  }
}
