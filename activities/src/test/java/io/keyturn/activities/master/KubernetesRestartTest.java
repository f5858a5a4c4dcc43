package io.keyturn.activities.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.keyturn.workflows.MasterKeyFailures;
import io.temporal.failure.ApplicationFailure;
import java.net.InetAddress;
import java.util.HashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The kubernetes restart mode against fabric8's mock API server (CRUD mode). */
class KubernetesRestartTest {
  static KubernetesMockServer server;
  static KubernetesClient k8s;

  @BeforeAll
  static void start() throws Exception {
    var responses =
        new HashMap<
            io.fabric8.mockwebserver.ServerRequest,
            java.util.Queue<io.fabric8.mockwebserver.ServerResponse>>();
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            responses,
            new KubernetesMixedDispatcher(responses),
            true);
    server.init(InetAddress.getByName("127.0.0.1"), 0);
    k8s = server.createClient();
  }

  @AfterAll
  static void stop() {
    k8s.close();
    server.destroy();
  }

  static Deployment rolledOut(String name) {
    return new DeploymentBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("litellm")
        .endMetadata()
        .withNewSpec()
        .withReplicas(2)
        .withNewTemplate()
        .withNewMetadata()
        .addToLabels("app", name)
        .endMetadata()
        .withNewSpec()
        .addNewContainer()
        .withName("litellm")
        .withImage("litellm")
        .endContainer()
        .endSpec()
        .endTemplate()
        .endSpec()
        .withNewStatus()
        .withReplicas(2)
        .withUpdatedReplicas(2)
        .withAvailableReplicas(2)
        .endStatus()
        .build();
  }

  @Test
  void patchesThePodTemplateAnnotationAsKubectlDoes() throws Exception {
    k8s.apps().deployments().inNamespace("litellm").resource(rolledOut("proxy")).create();
    KubernetesRestart restart =
        new KubernetesRestart(ctx -> server.createClient(), java.time.Duration.ofSeconds(20));
    // The mock has no controller: play it, observing the new generation once patched.
    Thread controller =
        new Thread(
            () -> {
              for (int i = 0; i < 100; i++) {
                Deployment d =
                    k8s.apps().deployments().inNamespace("litellm").withName("proxy").get();
                var a = d.getSpec().getTemplate().getMetadata().getAnnotations();
                if (a != null && a.containsKey(KubernetesRestart.ANNOTATION)) {
                  long g =
                      d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
                  d.getStatus().setObservedGeneration(g);
                  k8s.apps().deployments().inNamespace("litellm").resource(d).updateStatus();
                  return;
                }
                try {
                  Thread.sleep(100);
                } catch (InterruptedException e) {
                  return;
                }
              }
            });
    controller.start();
    restart.restart("proxy", "litellm", null, "2026-12-02T03:00:00Z");
    controller.join();
    restart.restart("proxy", "litellm", null, "2026-12-02T03:00:00Z"); // a retry: no change
    Deployment d = k8s.apps().deployments().inNamespace("litellm").withName("proxy").get();
    assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
        .containsEntry(KubernetesRestart.ANNOTATION, "2026-12-02T03:00:00Z");
  }

  @Test
  void aMissingDeploymentIsASettingsError() {
    KubernetesRestart restart = new KubernetesRestart(ctx -> server.createClient());
    assertThatThrownBy(() -> restart.restart("nope", "litellm", null, "x"))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(MasterKeyFailures.RESTART_REFUSED);
              assertThat(f.getOriginalMessage()).contains("litellm/nope does not exist");
            });
  }

  @Test
  void aRolloutIsCompleteWhenEveryReplicaIsUpdatedAndAvailable() {
    Deployment d = rolledOut("x");
    assertThat(KubernetesRestart.rolledOut(d)).isTrue();
    d.getStatus().setUpdatedReplicas(1);
    assertThat(KubernetesRestart.rolledOut(d)).isFalse();
    d.getStatus().setUpdatedReplicas(2);
    d.getMetadata().setGeneration(3L);
    d.getStatus().setObservedGeneration(2L);
    assertThat(KubernetesRestart.rolledOut(d)).as("the controller has not seen it yet").isFalse();
  }
}
