package io.keyturn.activities.master;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyturn.workflows.MasterKeyFailures;
import io.keyturn.workflows.RotationFailures;
import io.temporal.activity.Activity;
import io.temporal.failure.ApplicationFailure;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * A rollout restart of a Deployment, as {@code kubectl rollout restart} does it: the pod template's
 * {@value #ANNOTATION} annotation is set (to a value the rotation chose, so a retried patch is a
 * no-op), then the rollout is awaited: the Deployment's controller has seen the new generation and
 * every replica is updated and available. The client comes from the worker's in-cluster service
 * account or kubeconfig, as the kubernetes-secret store's does (RBAC: get, patch on deployments).
 */
public class KubernetesRestart {
  static final String ANNOTATION = "kubectl.kubernetes.io/restartedAt";

  private final Function<String, KubernetesClient> clients;
  private final java.time.Duration maxWait;

  /** Clients from the default configuration, or the named kubeconfig context. */
  public KubernetesRestart() {
    this(
        context -> {
          Config c = Config.autoConfigure(context == null || context.isBlank() ? null : context);
          c.setRequestRetryBackoffLimit(1);
          return new KubernetesClientBuilder().withConfig(c).build();
        });
  }

  public KubernetesRestart(Function<String, KubernetesClient> clients) {
    this(clients, java.time.Duration.ofMinutes(10));
  }

  /** {@code maxWait}: how long one call waits for the rollout before it fails (retryably). */
  public KubernetesRestart(Function<String, KubernetesClient> clients, java.time.Duration maxWait) {
    this.clients = clients;
    this.maxWait = maxWait;
  }

  /** Patches the restart annotation to {@code stamp} and waits until the rollout is complete. */
  public void restart(String name, String namespace, String context, String stamp) {
    String ns = namespace == null || namespace.isBlank() ? "default" : namespace;
    String where = "deployment " + ns + "/" + name;
    try (KubernetesClient k8s = clients.apply(context)) {
      var resource = k8s.apps().deployments().inNamespace(ns).withName(name);
      Deployment d = resource.get();
      if (d == null) {
        throw ApplicationFailure.newNonRetryableFailure(
            where + " does not exist: fix restart.deployment/namespace in keyturn.yaml",
            MasterKeyFailures.RESTART_REFUSED);
      }
      Map<String, String> annotations =
          d.getSpec().getTemplate().getMetadata().getAnnotations() == null
              ? new HashMap<>()
              : new HashMap<>(d.getSpec().getTemplate().getMetadata().getAnnotations());
      if (!stamp.equals(annotations.get(ANNOTATION))) {
        d =
            resource.edit(
                x -> {
                  Map<String, String> a =
                      x.getSpec().getTemplate().getMetadata().getAnnotations() == null
                          ? new HashMap<>()
                          : new HashMap<>(x.getSpec().getTemplate().getMetadata().getAnnotations());
                  a.put(ANNOTATION, stamp);
                  x.getSpec().getTemplate().getMetadata().setAnnotations(a);
                  return x;
                });
      }
      long until = System.nanoTime() + maxWait.toNanos();
      while (!rolledOut(resource.get())) {
        if (System.nanoTime() > until) {
          throw ApplicationFailure.newFailure(
              "the rollout of " + where + " is not complete yet (retrying)",
              RotationFailures.TRANSIENT);
        }
        try {
          Activity.getExecutionContext().heartbeat(where);
        } catch (IllegalStateException notInActivity) {
          // called outside an activity (tests): nothing to heartbeat
        }
        Thread.sleep(1000);
      }
    } catch (KubernetesClientException e) {
      if (e.getCode() == 403 || e.getCode() == 401) {
        throw ApplicationFailure.newNonRetryableFailure(
            "the worker may not patch "
                + where
                + " (HTTP "
                + e.getCode()
                + "): grant its service account get and patch on deployments",
            MasterKeyFailures.RESTART_REFUSED);
      }
      throw ApplicationFailure.newFailure(
          "restarting " + where + " failed: " + e.getMessage() + " (retrying)",
          RotationFailures.TRANSIENT);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApplicationFailure.newFailure(
          "interrupted waiting for " + where + " (retrying)", RotationFailures.TRANSIENT);
    }
  }

  /** {@code kubectl rollout status}'s test: observed, every replica updated and available. */
  static boolean rolledOut(Deployment d) {
    if (d == null || d.getStatus() == null) {
      return false;
    }
    var st = d.getStatus();
    long generation = d.getMetadata().getGeneration() == null ? 0 : d.getMetadata().getGeneration();
    long observed = st.getObservedGeneration() == null ? 0 : st.getObservedGeneration();
    int want = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
    int updated = st.getUpdatedReplicas() == null ? 0 : st.getUpdatedReplicas();
    int available = st.getAvailableReplicas() == null ? 0 : st.getAvailableReplicas();
    int total = st.getReplicas() == null ? 0 : st.getReplicas();
    return observed >= generation && updated >= want && available >= want && total <= updated;
  }
}
