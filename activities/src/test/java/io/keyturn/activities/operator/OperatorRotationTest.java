package io.keyturn.activities.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.keyturn.activities.store.SecretStoreRegistry;
import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.testkit.operator.OperatorStandIn;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.operator.OperatorRotationRequest;
import io.keyturn.workflows.operator.OperatorRotationStatus;
import io.keyturn.workflows.operator.OperatorRotationWorkflow;
import io.keyturn.workflows.operator.OperatorRotationWorkflowImpl;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rotation through the operator, end to end below the worker process: the workflow on Temporal's
 * test server (real time), its activities against fabric8's mock API server, the LiteLLM emulator
 * and {@link OperatorStandIn} (the operator's reconcile loop, polling every 200 ms), publishing to
 * a file.
 */
class OperatorRotationTest {
  static final String MASTER = "sk-test-master-0123456789abcdef";
  static final String NS = "team-a";
  static final String QUEUE = "operator-test";

  KubernetesMockServer server;
  KubernetesClient k8s;
  LiteLlmEmulator proxy;
  OperatorStandIn operator;
  JsonHttp http;
  TestWorkflowEnvironment env;
  @TempDir Path dir;

  @BeforeEach
  void start() throws Exception {
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
    proxy = LiteLlmEmulator.builder().masterKey(MASTER).models(List.of("gpt-4o-mini")).build();
    proxy.start();
    operator =
        new OperatorStandIn(k8s.getMasterUrl().toString(), proxy.baseUrl(), MASTER, "litellm")
            .start(Duration.ofMillis(200));
    http = new JsonHttp(Duration.ofSeconds(5));
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder().setUseTimeskipping(false).build());
    Worker worker = env.newWorker(QUEUE);
    worker.registerWorkflowImplementationTypes(OperatorRotationWorkflowImpl.class);
    worker.registerActivitiesImplementations(
        new OperatorActivitiesImpl(
            server::createClient,
            new LiteLlmClient(http, () -> MASTER),
            SecretStoreRegistry.builtIn(
                new VaultKv2Client(http, "http://127.0.0.1:1", () -> "t"))));
    env.start();
  }

  @AfterEach
  void stop() {
    env.close();
    operator.close();
    http.close();
    proxy.close();
    k8s.close();
    server.destroy();
  }

  private void virtualKey(String name, String alias) throws Exception {
    GenericKubernetesResource vk =
        new GenericKubernetesResourceBuilder()
            .withApiVersion(KubernetesVirtualKeys.API_VERSION)
            .withKind(KubernetesVirtualKeys.KIND)
            .withNewMetadata()
            .withNamespace(NS)
            .withName(name)
            .endMetadata()
            .withAdditionalProperties(
                Map.of(
                    "spec",
                    Map.of("keyAlias", alias, "models", List.of("gpt-4o-mini"), "maxBudget", "10")))
            .build();
    k8s.genericKubernetesResources(KubernetesVirtualKeys.CRD).inNamespace(NS).resource(vk).create();
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (secretValue(alias) == null && System.nanoTime() < until) {
      Thread.sleep(50);
    }
    assertThat(secretValue(alias)).as("the stand-in made the key of " + alias).isNotNull();
  }

  private String secretValue(String alias) {
    Secret s = k8s.secrets().inNamespace(NS).withName(operator.secretName(alias)).get();
    return s == null || s.getData() == null || s.getData().get("key") == null
        ? null
        : new String(Base64.getDecoder().decode(s.getData().get("key")), StandardCharsets.UTF_8);
  }

  private GenericKubernetesResource vk(String name) {
    return k8s.genericKubernetesResources(KubernetesVirtualKeys.CRD)
        .inNamespace(NS)
        .withName(name)
        .get();
  }

  private List<EmulatedKey> liveWithAliasPrefix(String prefix) {
    return proxy.liveKeys().stream()
        .filter(k -> k.keyAlias() != null && k.keyAlias().startsWith(prefix))
        .toList();
  }

  private OperatorRotationWorkflow stub(String id) {
    return env.getWorkflowClient()
        .newWorkflowStub(
            OperatorRotationWorkflow.class,
            WorkflowOptions.newBuilder().setTaskQueue(QUEUE).setWorkflowId(id).build());
  }

  private OperatorRotationRequest request(String gateway, Path file) {
    return new OperatorRotationRequest(
        "svc-a",
        gateway,
        NS + "/svc-a",
        List.of(new Destination("file", Map.of("path", file.toString()))),
        Duration.ofSeconds(1),
        "test");
  }

  private String history(String workflowId) {
    StringBuilder all = new StringBuilder();
    for (HistoryEvent e :
        env.getWorkflowClient().fetchHistory(workflowId).getHistory().getEventsList()) {
      all.append(e.toString());
    }
    return all.toString();
  }

  @Test
  void blueGreenEndsWithOneLiveKeyTheOldVirtualKeyGoneAndNothingReMinted() throws Exception {
    virtualKey("svc-a", "svc-a-key");
    String oldValue = secretValue("svc-a-key");
    Path file = dir.resolve("app.env");

    OperatorRotationStatus done =
        stub("rotation/svc-a/op-1").rotate(request(proxy.baseUrl(), file));

    assertThat(done.phase()).isEqualTo("COMPLETED");
    assertThat(done.copy()).isEqualTo(NS + "/svc-a-g2");
    String newValue = secretValue("svc-a-key-g2");
    assertThat(newValue).isNotNull().isNotEqualTo(oldValue);
    assertThat(Files.readString(file)).contains(newValue);
    assertThat(vk("svc-a")).isNull();
    GenericKubernetesResource copy = vk("svc-a-g2");
    assertThat(copy.getMetadata().getLabels())
        .containsEntry("app.kubernetes.io/managed-by", "keyturn")
        .containsEntry("keyturn.io/lineage", "svc-a")
        .containsEntry("keyturn.io/generation", "2");
    // Let the operator go round a few more times: it has no alias left to resurrect.
    Thread.sleep(1000);
    assertThat(liveWithAliasPrefix("svc-a-key"))
        .singleElement()
        .satisfies(k -> assertThat(k.keyAlias()).isEqualTo("svc-a-key-g2"));
    assertThat(operator.mintedAliases()).containsExactly("svc-a-key", "svc-a-key-g2");
    String h = history("rotation/svc-a/op-1");
    assertThat(h).doesNotContain(newValue).doesNotContain(oldValue);
  }

  @Test
  void theNextRotationStartsFromTheCopy() throws Exception {
    virtualKey("svc-a", "svc-a-key");
    Path file = dir.resolve("app.env");
    stub("rotation/svc-a/op-1").rotate(request(proxy.baseUrl(), file));
    OperatorRotationStatus second =
        stub("rotation/svc-a/op-2").rotate(request(proxy.baseUrl(), file));
    assertThat(second.copy()).isEqualTo(NS + "/svc-a-g3");
    assertThat(vk("svc-a-g2")).isNull();
    assertThat(liveWithAliasPrefix("svc-a-key"))
        .singleElement()
        .satisfies(k -> assertThat(k.keyAlias()).isEqualTo("svc-a-key-g3"));
    assertThat(Files.readString(file)).contains(secretValue("svc-a-key-g3"));
  }

  @Test
  void aCopyWhoseKeyFailsVerificationIsDeletedAndTheOldKeyUntouched() throws Exception {
    virtualKey("svc-a", "svc-a-key");
    String oldValue = secretValue("svc-a-key");
    Path file = dir.resolve("app.env");
    try (LiteLlmEmulator elsewhere =
        LiteLlmEmulator.builder().masterKey(MASTER).models(List.of("gpt-4o-mini")).build()) {
      elsewhere.start();
      // Verified at a proxy that does not know the operator's keys: 401.
      assertThatThrownBy(
              () -> stub("rotation/svc-a/op-bad").rotate(request(elsewhere.baseUrl(), file)))
          .isInstanceOf(WorkflowFailedException.class);
    }
    OperatorRotationStatus s =
        env.getWorkflowClient()
            .newWorkflowStub(OperatorRotationWorkflow.class, "rotation/svc-a/op-bad")
            .status();
    assertThat(s.phase()).isEqualTo("FAILED");
    assertThat(s.message())
        .contains("before anything was published")
        .contains("deleted VirtualKey " + NS + "/svc-a-g2")
        .contains("untouched");
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (vk("svc-a-g2") != null && System.nanoTime() < until) {
      Thread.sleep(100);
    }
    assertThat(vk("svc-a-g2")).isNull();
    assertThat(vk("svc-a")).isNotNull();
    assertThat(secretValue("svc-a-key")).isEqualTo(oldValue);
    assertThat(liveWithAliasPrefix("svc-a-key"))
        .singleElement()
        .satisfies(k -> assertThat(k.keyAlias()).isEqualTo("svc-a-key"));
    assertThat(Files.exists(file)).isFalse();
  }

  @Test
  void aCopyMadeByAnEarlierAttemptIsAdoptedAndAnyOtherRefused() {
    var impl =
        new OperatorActivitiesImpl(
            server::createClient,
            new LiteLlmClient(http, () -> MASTER),
            SecretStoreRegistry.builtIn(new VaultKv2Client(http, "http://127.0.0.1:1", () -> "t")));
    assertThatThrownBy(() -> impl.lineage(NS + "/nope", "svc-a"))
        .hasMessageContaining("does not exist");
    try {
      virtualKey("svc-a", "svc-a-key");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    var lineage = impl.lineage(NS + "/svc-a", "svc-a");
    var first = impl.createCopy(lineage, "svc-a", "wf-1");
    assertThat(first.adopted()).isFalse();
    assertThat(impl.createCopy(lineage, "svc-a", "wf-1").adopted()).isTrue();
    assertThatThrownBy(() -> impl.createCopy(lineage, "svc-a", "wf-2"))
        .hasMessageContaining("not made by this rotation");
    assertThat(WorkflowClient.class).isNotNull();
  }
}
