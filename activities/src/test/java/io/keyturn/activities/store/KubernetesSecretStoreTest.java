package io.keyturn.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.store.KubernetesSecretConfig;
import io.temporal.failure.ApplicationFailure;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link KubernetesSecretStore} against fabric8's mock API server in CRUD mode, in this JVM on
 * 127.0.0.1: it stores what is sent and answers 409 to an update with a stale resourceVersion.
 * Expectations (for the 403) take precedence over CRUD on the same server.
 */
class KubernetesSecretStoreTest extends SecretStoreContractTest {
  static final String NS = "apps";
  static KubernetesMockServer server;
  static KubernetesClient k8s;
  static KubernetesClient unreachable;
  static final AtomicInteger n = new AtomicInteger();
  final List<KubernetesSecretStore> opened = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    server.init(InetAddress.getByName("127.0.0.1"), 0);
    k8s = server.createClient();
    Config nowhere = Config.empty();
    nowhere.setMasterUrl("http://127.0.0.1:1");
    nowhere.setRequestRetryBackoffLimit(0);
    nowhere.setConnectionTimeout(2000);
    unreachable = new KubernetesClientBuilder().withConfig(nowhere).build();
  }

  @AfterAll
  static void stop() {
    unreachable.close();
    k8s.close();
    server.destroy();
  }

  @AfterEach
  void closeStores() {
    opened.forEach(KubernetesSecretStore::close);
  }

  private KubernetesSecretStore open(String name, KubernetesClient client) {
    KubernetesSecretStore store =
        new KubernetesSecretStore(KubernetesSecretConfig.of(NS, name, "api-key"), client);
    opened.add(store);
    return store;
  }

  private static String freshName() {
    return "litellm-" + n.incrementAndGet();
  }

  @Override
  protected SecretStore newStore() {
    return open(freshName(), k8s);
  }

  @Override
  protected SecretStore failingStore() {
    return open(freshName(), unreachable);
  }

  private static Secret get(String name) {
    return k8s.secrets().inNamespace(NS).withName(name).get();
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static void putOtherValue(String name, String field, String value) {
    Secret s = get(name);
    s.getData().put(field, b64(value));
    k8s.secrets().inNamespace(NS).resource(s).update();
  }

  @Test
  void otherDataKeysAreKeptAndTheReplacedValueSitsInThePreviousEntry() {
    String name = freshName();
    String old = newKey();
    k8s.secrets()
        .inNamespace(NS)
        .resource(
            new SecretBuilder()
                .withNewMetadata()
                .withName(name)
                .endMetadata()
                .addToData("base-url", b64("http://proxy:4000"))
                .addToData("api-key", b64(old))
                .build())
        .create();
    KubernetesSecretStore store = open(name, k8s);
    String key = newKey();

    store.write(key, rotation("g2"));

    assertThat(get(name).getData())
        .containsEntry("base-url", b64("http://proxy:4000"))
        .containsEntry("api-key", b64(key))
        .containsEntry("api-key.previous", b64(old));
    store.restorePrevious(KeyMaterial.tokenHash(key));
    assertThat(get(name).getData())
        .containsOnly(
            Map.entry("base-url", b64("http://proxy:4000")), Map.entry("api-key", b64(old)));

    // Not created by Keyturn: delete removes Keyturn's entry, never the Secret.
    store.delete();
    assertThat(get(name).getData()).containsOnly(Map.entry("base-url", b64("http://proxy:4000")));
  }

  @Test
  void labelsAndAnnotationsNameTheRotationAndHoldNoValue() {
    String name = freshName();
    KubernetesSecretStore store = open(name, k8s);
    String first = newKey();
    String second = newKey();
    store.write(first, new RotationContext("rotation/svc-a/g1", "g1"));
    store.write(second, new RotationContext("rotation/svc-a/g2", "g2"));

    Secret s = get(name);
    assertThat(s.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "keyturn");
    assertThat(s.getMetadata().getAnnotations())
        .containsEntry("keyturn.dev/generation", "g2")
        .containsEntry("keyturn.dev/workflow-id", "rotation/svc-a/g2")
        .containsEntry("keyturn.dev/fingerprint", KeyMaterial.tokenHash(second))
        .containsEntry("keyturn.dev/created", "true");
    String metadata = s.getMetadata().getLabels() + " " + s.getMetadata().getAnnotations();
    for (String v : List.of(first, second)) {
      assertThat(metadata).doesNotContain(v).doesNotContain(b64(v)).doesNotContain(v.substring(3));
    }
    assertThat(s.getType()).isEqualTo("Opaque");
  }

  @Test
  void anotherWriterBetweenReadAndUpdateIsAConflictAndIsNotOverwritten() {
    String name = freshName();
    KubernetesSecretStore store = open(name, k8s);
    String first = newKey();
    store.write(first, rotation("g1"));
    String theirs = newKey();
    String ours = newKey();
    store.betweenReadAndUpdate(() -> putOtherValue(name, "api-key", theirs));

    assertThatThrownBy(() -> store.write(ours, rotation("g2")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.STORE_CONFLICT);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage())
                  .contains(NS + "/" + name)
                  .contains("409")
                  .doesNotContain(theirs)
                  .doesNotContain(ours)
                  .doesNotContain(first);
            });
    Secret s = get(name);
    assertThat(s.getData()).containsOnly(Map.entry("api-key", b64(theirs)));
    // Nothing of the failed write landed: the annotations still describe the first write.
    assertThat(s.getMetadata().getAnnotations()).containsEntry("keyturn.dev/generation", "g1");
  }

  @Test
  void aConflictWithOurOwnValueIsADoneWrite() {
    String name = freshName();
    KubernetesSecretStore store = open(name, k8s);
    store.write(newKey(), rotation("g1"));
    String ours = newKey();
    // Another attempt of the same rotation wrote the same value first.
    store.betweenReadAndUpdate(() -> putOtherValue(name, "api-key", ours));

    StoreReceipt r = store.write(ours, rotation("g2"));
    assertThat(r.written()).isFalse();
    assertThat(r.fingerprint()).isEqualTo(KeyMaterial.tokenHash(ours));
    assertThat(store.currentValue()).contains(ours);
  }

  @Test
  void aSecretCreatedByAnotherWriterFirstIsAConflict() {
    String name = freshName();
    KubernetesSecretStore store = open(name, k8s);
    String theirs = newKey();
    store.betweenReadAndUpdate(
        () ->
            k8s.secrets()
                .inNamespace(NS)
                .resource(
                    new SecretBuilder()
                        .withNewMetadata()
                        .withName(name)
                        .endMetadata()
                        .addToData("api-key", b64(theirs))
                        .build())
                .create());

    assertThatThrownBy(() -> store.write(newKey(), rotation("g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(RotationFailures.STORE_CONFLICT));
    assertThat(get(name).getData()).containsOnly(Map.entry("api-key", b64(theirs)));
  }

  @Test
  void aForbiddenReadNamesTheSecretAndTheRbacVerbs() {
    String name = freshName();
    server
        .expect()
        .get()
        .withPath("/api/v1/namespaces/" + NS + "/secrets/" + name)
        .andReturn(
            403,
            new StatusBuilder()
                .withStatus("Failure")
                .withCode(403)
                .withReason("Forbidden")
                .withMessage(
                    "secrets \"" + name + "\" is forbidden: User \"system:serviceaccount:x\"")
                .build())
        .always();
    KubernetesSecretStore store = open(name, k8s);

    assertThatThrownBy(() -> store.write(newKey(), rotation("g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.STORE_DENIED);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage())
                  .contains(NS + "/" + name)
                  .contains("403")
                  .contains("get, create, update");
            });
  }

  @Test
  void anUnreachableApiServerIsTransient() {
    assertThatThrownBy(() -> failingStore().currentFingerprint())
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo("Transient");
              assertThat(f.isNonRetryable()).isFalse();
            });
  }

  @Test
  void settingsAreValidatedWithTheFieldAndTheFix() {
    KubernetesSecretConfig c = new KubernetesSecretConfig.Type().parse(Map.of("name", "litellm-a"));
    assertThat(c.namespace()).isEqualTo("default");
    assertThat(c.field()).isEqualTo("key");
    assertThat(c.previousField()).isEqualTo("key.previous");
    assertThatThrownBy(() -> new KubernetesSecretConfig.Type().parse(Map.of()))
        .hasMessageContaining("'name'");
    assertThatThrownBy(() -> new KubernetesSecretConfig.Type().parse(Map.of("name", "LiteLLM_A")))
        .hasMessageContaining("DNS-1123");
    assertThatThrownBy(
            () -> new KubernetesSecretConfig.Type().parse(Map.of("name", "a", "namespace", "a.b")))
        .hasMessageContaining("'namespace'");
    assertThatThrownBy(
            () -> new KubernetesSecretConfig.Type().parse(Map.of("name", "a", "field", "a/b")))
        .hasMessageContaining("'field'");
    assertThatThrownBy(
            () ->
                new KubernetesSecretConfig.Type().parse(Map.of("name", "a", "field", "x.previous")))
        .hasMessageContaining(".previous");
    assertThatThrownBy(
            () -> new KubernetesSecretConfig.Type().parse(Map.of("name", "a", "secretId", "x")))
        .hasMessageContaining("[secretId]");
  }
}
