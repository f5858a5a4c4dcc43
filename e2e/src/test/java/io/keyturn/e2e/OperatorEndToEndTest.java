package io.keyturn.e2e;

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
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.testkit.operator.OperatorStandIn;
import io.keyturn.workflows.crypto.KeyMaterial;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Keys the LiteLLM Kubernetes operator manages (issue 19), end to end: the worker process talks to
 * a Kubernetes API (fabric8's mock server, CRUD mode, through a kubeconfig) where {@link
 * OperatorStandIn} plays the operator's reconcile loop against the emulator, polling every second.
 */
class OperatorEndToEndTest extends OnE2eStack {
  static final String NS = "team-a";
  static final ResourceDefinitionContext CRD =
      new ResourceDefinitionContext.Builder()
          .withGroup("auth.litellm.ai")
          .withVersion("v1alpha1")
          .withKind("VirtualKey")
          .withPlural("virtualkeys")
          .withNamespaced(true)
          .build();

  static KubernetesMockServer kube;
  static KubernetesClient k8s;
  static OperatorStandIn operator;

  @BeforeAll
  static void kubernetesAndTheOperator() throws Exception {
    Map<ServerRequest, Queue<ServerResponse>> responses = new HashMap<>();
    kube =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            false);
    kube.init(InetAddress.getByName("127.0.0.1"), 0);
    k8s = kube.createClient();
    String api = k8s.getMasterUrl().toString().replaceAll("/+$", "");
    operator =
        new OperatorStandIn(api, litellm.baseUrl(), master, "litellm").start(Duration.ofSeconds(1));
    Path kubeconfig =
        file(
            "kubeconfig",
            """
            apiVersion: v1
            kind: Config
            clusters:
              - name: mock
                cluster: {server: "%s"}
            users:
              - name: test
                user: {token: not-checked}
            contexts:
              - name: mock
                context: {cluster: mock, user: test, namespace: %s}
            current-context: mock
            """
                .formatted(api, NS));
    worker.stop();
    Map<String, String> env = new HashMap<>(stack.workerEnv);
    env.put("KUBECONFIG", kubeconfig.toString());
    env.put("KEYTURN_OPERATOR_CHECK", "on");
    worker = new WorkerProcess(env, dir.resolve("worker-operator.log")).start();
    stack.worker = worker;
  }

  @AfterAll
  static void stopKubernetes() {
    if (operator != null) {
      operator.close();
    }
    if (k8s != null) {
      k8s.close();
    }
    if (kube != null) {
      kube.destroy();
    }
  }

  private static void virtualKey(String name, String alias) {
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

  private static String secretValue(String alias) {
    Secret s = k8s.secrets().inNamespace(NS).withName(operator.secretName(alias)).get();
    return s == null || s.getData() == null || s.getData().get("key") == null
        ? null
        : new String(Base64.getDecoder().decode(s.getData().get("key")), StandardCharsets.UTF_8);
  }

  private static String awaitSecret(String alias) throws Exception {
    long until = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (secretValue(alias) == null && System.nanoTime() < until) {
      Thread.sleep(200);
    }
    assertThat(secretValue(alias)).as("the operator made the key of " + alias).isNotNull();
    return secretValue(alias);
  }

  private static List<EmulatedKey> live(String aliasPrefix) {
    return litellm.liveKeys().stream()
        .filter(k -> k.keyAlias() != null && k.keyAlias().startsWith(aliasPrefix))
        .toList();
  }

  private static Set<String> liveHashes() {
    return litellm.liveKeys().stream().map(EmulatedKey::tokenHash).collect(Collectors.toSet());
  }

  @Test
  void aPlainRotationOfAKeyAVirtualKeyNamesIsRefusedWithNothingChanged() throws Exception {
    // A key the operator adopted: its metadata has no managed_by, only the VirtualKey tells.
    String raw = litellm.createKey(Map.of("key_alias", "adopted-key"));
    virtualKey("adopted", "adopted-key");
    Thread.sleep(2500); // the operator found the key and minted nothing
    assertThat(operator.mintedAliases()).doesNotContain("adopted-key");
    Set<String> before = liveHashes();

    Cli.Result r =
        keyturn(
            "rotate",
            "--secret-id",
            "adopted",
            "--gateway",
            litellm.baseUrl(),
            "--key-file",
            file("adopted.key", raw).toString(),
            "--generation",
            "1",
            "--grace",
            "1s",
            "--vault-name",
            "adopted",
            "--wait");

    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.out() + r.err())
        .contains("VirtualKey " + NS + "/adopted")
        .contains("Nothing was minted")
        .doesNotContain(raw);
    assertThat(liveHashes()).isEqualTo(before);
    assertThat(live("adopted-key"))
        .singleElement()
        .satisfies(k -> assertThat(k.tokenHash()).isEqualTo(KeyMaterial.ref(raw).tokenHash()));
  }

  @Test
  void aBlueGreenRotationThroughTheOperatorLeavesOneLiveKeyAndNothingReMinted() throws Exception {
    virtualKey("billing", "billing-key");
    String oldRaw = awaitSecret("billing-key");
    Path yaml =
        file(
            "keyturn-operator.yaml",
            """
            apiVersion: keyturn/v1
            secrets:
              - id: billing
                gateway: {url: %s}
                operator: {virtualKey: %s/billing}
                destinations: [{type: vault-kv2, name: billing}]
                schedule: {every: 30d, paused: true}
                grace: 1s
            """
                .formatted(litellm.baseUrl(), NS));

    Cli.Result r = keyturn("rotate-operator", "-f", yaml.toString(), "--id", "billing", "--wait");

    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    String newRaw = secretValue("billing-key-g2");
    assertThat(newRaw).isNotNull().isNotEqualTo(oldRaw);
    assertThat(r.out() + r.err()).doesNotContain(newRaw).doesNotContain(oldRaw);
    assertThat(VaultKeys.of(bao, "billing")).isEqualTo(newRaw);
    assertThat(k8s.genericKubernetesResources(CRD).inNamespace(NS).withName("billing").get())
        .as("the old VirtualKey is gone")
        .isNull();
    Thread.sleep(3000); // three more rounds of the operator: no alias left to resurrect
    assertThat(live("billing-key"))
        .singleElement()
        .satisfies(k -> assertThat(k.tokenHash()).isEqualTo(KeyMaterial.ref(newRaw).tokenHash()));
    assertThat(operator.mintedAliases().stream().filter(a -> a.startsWith("billing-key")))
        .containsExactly("billing-key", "billing-key-g2");
  }

  @Test
  void aPlainKeyStillRotatesAsBefore() throws Exception {
    String raw = litellm.createKey(Map.of("key_alias", "plain-key"));
    Cli.Result r =
        keyturn(
            "rotate",
            "--secret-id",
            "plain",
            "--gateway",
            litellm.baseUrl(),
            "--key-file",
            file("plain.key", raw).toString(),
            "--generation",
            "1",
            "--grace",
            "1s",
            "--vault-name",
            "plain",
            "--wait");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    String newRaw = VaultKeys.of(bao, "plain");
    assertThat(newRaw).isNotEqualTo(raw);
    assertThat(liveHashes())
        .contains(KeyMaterial.ref(newRaw).tokenHash())
        .doesNotContain(KeyMaterial.ref(raw).tokenHash());
  }
}
