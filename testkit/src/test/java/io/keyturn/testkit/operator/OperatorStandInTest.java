package io.keyturn.testkit.operator;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The operator's reconcile loop, as its stand-in plays it against fabric8's mock API server (CRUD
 * mode) and the LiteLLM emulator: the danger a plain rotation runs into, and what it leaves alone.
 */
class OperatorStandInTest {
  static final String MASTER = "sk-test-master-0123456789abcdef";
  static final String NS = "team-a";
  static final ResourceDefinitionContext CRD =
      new ResourceDefinitionContext.Builder()
          .withGroup("auth.litellm.ai")
          .withVersion("v1alpha1")
          .withKind("VirtualKey")
          .withPlural("virtualkeys")
          .withNamespaced(true)
          .build();

  KubernetesMockServer server;
  KubernetesClient k8s;
  LiteLlmEmulator proxy;
  OperatorStandIn operator;

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
    proxy =
        LiteLlmEmulator.builder()
            .masterKey(MASTER)
            .models(List.of("gpt-4o-mini"))
            .licensed(true)
            .build()
            .start();
    operator =
        new OperatorStandIn(k8s.getMasterUrl().toString(), proxy.baseUrl(), MASTER, "litellm");
  }

  @AfterEach
  void stop() {
    operator.close();
    k8s.close();
    proxy.close();
    server.destroy();
  }

  private void virtualKey(String name, String alias) {
    GenericKubernetesResource vk =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("auth.litellm.ai/v1alpha1")
            .withKind("VirtualKey")
            .withNewMetadata()
            .withNamespace(NS)
            .withName(name)
            .endMetadata()
            .withAdditionalProperties(
                Map.of("spec", Map.of("keyAlias", alias, "models", List.of("gpt-4o-mini"))))
            .build();
    k8s.genericKubernetesResources(CRD).inNamespace(NS).resource(vk).create();
  }

  private String secretValue(String alias) {
    Secret s = k8s.secrets().inNamespace(NS).withName("litellm-key-" + alias).get();
    return s == null
        ? null
        : new String(Base64.getDecoder().decode(s.getData().get("key")), StandardCharsets.UTF_8);
  }

  private List<EmulatedKey> live(String alias) {
    return proxy.liveKeys().stream().filter(k -> alias.equals(k.keyAlias())).toList();
  }

  private static String post(String url, String body) throws Exception {
    HttpResponse<String> r =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(URI.create(url))
                    .header("Authorization", "Bearer " + MASTER)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  @Test
  void mintsTheKeyWritesItsSecretAndReportsReady() {
    virtualKey("svc-a", "svc-a-key");
    operator.reconcileAll();
    assertThat(live("svc-a-key")).singleElement();
    assertThat(live("svc-a-key").get(0).metadata()).containsEntry("managed_by", "litellm-operator");
    assertThat(secretValue("svc-a-key")).startsWith("sk-");
    GenericKubernetesResource vk =
        k8s.genericKubernetesResources(CRD).inNamespace(NS).withName("svc-a").get();
    @SuppressWarnings("unchecked")
    Map<String, Object> status = (Map<String, Object>) vk.getAdditionalProperties().get("status");
    assertThat(status)
        .containsEntry("keyAlias", "svc-a-key")
        .containsEntry("keySecretRef", "litellm-key-svc-a-key");
    assertThat(status.get("conditions").toString()).contains("type=Ready").contains("status=True");
    assertThat(vk.getMetadata().getFinalizers()).contains(OperatorStandIn.FINALIZER);

    operator.reconcileAll(); // the key exists: nothing more
    assertThat(operator.mintedAliases()).containsExactly("svc-a-key");
  }

  @Test
  void resurrectsARevokedAliasWithAKeyNobodyPublishedAndOverwritesTheSecret() throws Exception {
    virtualKey("svc-a", "svc-a-key");
    operator.reconcileAll();
    String first = secretValue("svc-a-key");

    // What a plain rotation does last: revoke the old key.
    post(proxy.baseUrl() + "/key/delete", "{\"key_aliases\":[\"svc-a-key\"]}");
    assertThat(live("svc-a-key")).isEmpty();

    operator.reconcileAll();
    assertThat(live("svc-a-key")).singleElement();
    assertThat(operator.mintedAliases()).containsExactly("svc-a-key", "svc-a-key");
    assertThat(secretValue("svc-a-key")).isNotNull().isNotEqualTo(first);
  }

  @Test
  void leavesARegeneratedValueAloneAndTheSecretStale() throws Exception {
    virtualKey("svc-a", "svc-a-key");
    operator.reconcileAll();
    String first = secretValue("svc-a-key");

    String regenerated = post(proxy.baseUrl() + "/key/" + first + "/regenerate", "{}");
    assertThat(regenerated).contains("\"key\"").doesNotContain(first);

    operator.reconcileAll();
    assertThat(operator.mintedAliases()).containsExactly("svc-a-key");
    assertThat(live("svc-a-key")).singleElement();
    assertThat(secretValue("svc-a-key")).isEqualTo(first); // stale: the operator never noticed
  }

  @Test
  void deletingTheVirtualKeyDeletesItsKeyAndSecret() {
    virtualKey("svc-a", "svc-a-key");
    operator.reconcileAll();
    k8s.genericKubernetesResources(CRD).inNamespace(NS).withName("svc-a").delete();
    operator.reconcileAll();
    assertThat(live("svc-a-key")).isEmpty();
    assertThat(secretValue("svc-a-key")).isNull();
    assertThat(k8s.genericKubernetesResources(CRD).inNamespace(NS).withName("svc-a").get())
        .isNull();
    assertThat(operator.mintedAliases()).containsExactly("svc-a-key");
  }

  @Test
  void pollsOnItsOwn() throws Exception {
    operator.start(Duration.ofMillis(200));
    virtualKey("svc-b", "svc-b-key");
    long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (secretValue("svc-b-key") == null && System.nanoTime() < until) {
      Thread.sleep(100);
    }
    assertThat(secretValue("svc-b-key")).startsWith("sk-");
  }
}
