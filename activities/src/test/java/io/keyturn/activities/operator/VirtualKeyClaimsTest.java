package io.keyturn.activities.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import io.keyturn.activities.litellm.LiteLlmActivitiesImpl;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.KeyRef;
import io.temporal.failure.ApplicationFailure;
import java.net.InetAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The refusal of a key whose alias a VirtualKey names, against fabric8's mock API server in CRUD
 * mode (VirtualKey objects as the operator's CRD stores them) and the LiteLLM emulator.
 */
class VirtualKeyClaimsTest {
  static final String MASTER = "sk-test-master-0123456789abcdef";

  KubernetesMockServer server;
  LiteLlmEmulator proxy;
  JsonHttp http;
  LiteLlmActivitiesImpl activities;

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
    proxy = LiteLlmEmulator.builder().masterKey(MASTER).models(List.of("gpt-4o-mini")).build();
    proxy.start();
    http = new JsonHttp(Duration.ofSeconds(5));
    activities =
        new LiteLlmActivitiesImpl(new LiteLlmClient(http, () -> MASTER), WorkerKeyring.generate())
            .withVirtualKeyClaims(new KubernetesVirtualKeys(server::createClient, null));
  }

  @AfterEach
  void stop() {
    http.close();
    proxy.close();
    server.destroy();
  }

  private void virtualKey(String ns, String name, String alias) {
    GenericKubernetesResource vk =
        new GenericKubernetesResourceBuilder()
            .withApiVersion(KubernetesVirtualKeys.API_VERSION)
            .withKind(KubernetesVirtualKeys.KIND)
            .withNewMetadata()
            .withNamespace(ns)
            .withName(name)
            .endMetadata()
            .withAdditionalProperties(Map.of("spec", Map.of("keyAlias", alias)))
            .build();
    try (KubernetesClient k8s = server.createClient()) {
      k8s.genericKubernetesResources(KubernetesVirtualKeys.CRD)
          .inNamespace(ns)
          .resource(vk)
          .create();
    }
  }

  private KeyRef seed(String alias) {
    return KeyMaterial.ref(proxy.createKey(Map.of("key_alias", alias)));
  }

  @Test
  void aKeyWhoseAliasAVirtualKeyNamesIsRefusedWithNothingMinted() {
    // No managed_by marker: the key's metadata says nothing, the VirtualKey does.
    virtualKey("team-a", "svc-a", "svc-a-key");
    KeyRef old = seed("svc-a-key");
    int before = proxy.liveKeys().size();
    assertThatThrownBy(() -> activities.importPolicy(proxy.baseUrl(), old))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.OPERATOR_MANAGED);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage())
                  .contains(old.fingerprint())
                  .contains("team-a/svc-a")
                  .contains("Nothing was minted");
            });
    assertThat(proxy.liveKeys()).hasSize(before);
  }

  @Test
  void aKeyNoVirtualKeyNamesIsImportedAsBefore() {
    virtualKey("team-a", "svc-a", "svc-a-key");
    KeyRef plain = seed("svc-b-key");
    assertThat(activities.importPolicy(proxy.baseUrl(), plain)).isNotNull();
  }

  @Test
  void claimsAreLookedUpInTheGivenNamespaceOnly() {
    virtualKey("team-a", "svc-a", "shared-alias");
    virtualKey("team-b", "svc-b", "shared-alias");
    assertThat(new KubernetesVirtualKeys(server::createClient, null).claiming("shared-alias"))
        .containsExactly("team-a/svc-a", "team-b/svc-b");
    assertThat(new KubernetesVirtualKeys(server::createClient, "team-b").claiming("shared-alias"))
        .containsExactly("team-b/svc-b");
    assertThat(new KubernetesVirtualKeys(server::createClient, null).claiming("other")).isEmpty();
  }

  @Test
  void anUnreachableClusterFailsRetryablySayingWhatToDo() {
    Config nowhere = Config.empty();
    nowhere.setMasterUrl("http://127.0.0.1:1");
    nowhere.setRequestRetryBackoffLimit(0);
    nowhere.setConnectionTimeout(2000);
    var claims =
        new KubernetesVirtualKeys(
            () -> new KubernetesClientBuilder().withConfig(nowhere).build(), null);
    assertThatThrownBy(() -> claims.claiming("svc-a-key"))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.isNonRetryable()).isFalse();
              assertThat(f.getOriginalMessage()).contains("virtualkeys.auth.litellm.ai");
            });
  }
}
