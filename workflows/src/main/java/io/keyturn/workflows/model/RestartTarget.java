package io.keyturn.workflows.model;

import java.util.Objects;

/**
 * A Deployment that caches the proxy's master key and is restarted (a rollout restart, as {@code
 * kubectl rollout restart} does it) once the proxy runs the new key: the LiteLLM Kubernetes
 * operator, for one, keeps the key it read for the life of its pod, and gets 401s (and hangs on
 * VirtualKey deletions) until it is restarted.
 *
 * @param deployment the Deployment's name
 * @param namespace its namespace (blank: default)
 * @param context the kubeconfig context (blank: the current one or the in-cluster account)
 */
public record RestartTarget(String deployment, String namespace, String context) {
  public RestartTarget {
    Objects.requireNonNull(deployment, "deployment");
  }

  /** {@code deployment <namespace>/<name>}, for messages. */
  public String describe() {
    return "deployment "
        + (namespace == null || namespace.isBlank() ? "default" : namespace)
        + "/"
        + deployment;
  }
}
