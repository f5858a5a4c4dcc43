package io.keyturn.activities.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import io.keyturn.workflows.RotationFailures;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@link VirtualKeyClaims} read from the cluster: every {@code auth.litellm.ai/v1alpha1} VirtualKey
 * in every namespace the worker may list (RBAC: list on virtualkeys.auth.litellm.ai, cluster-wide
 * or in the namespace given). A cluster without the operator's CRD (404) claims nothing; a cluster
 * that cannot be asked (unreachable, 403) fails retryably: the check is on, so its answer matters.
 */
public class KubernetesVirtualKeys implements VirtualKeyClaims {
  public static final String API_VERSION = "auth.litellm.ai/v1alpha1";
  public static final String KIND = "VirtualKey";

  /** The operator's CRD (config/crd/bases/auth.litellm.ai_virtualkeys.yaml): namespaced. */
  public static final ResourceDefinitionContext CRD =
      new ResourceDefinitionContext.Builder()
          .withGroup("auth.litellm.ai")
          .withVersion("v1alpha1")
          .withKind(KIND)
          .withPlural("virtualkeys")
          .withNamespaced(true)
          .build();

  private final Supplier<KubernetesClient> clients;
  private final String namespace;

  /**
   * @param clients a new client per lookup (closed after it)
   * @param namespace the namespace to look in, or null/blank for all namespaces
   */
  public KubernetesVirtualKeys(Supplier<KubernetesClient> clients, String namespace) {
    this.clients = clients;
    this.namespace = namespace == null || namespace.isBlank() ? null : namespace;
  }

  @Override
  public List<String> claiming(String alias) {
    if (alias == null || alias.isBlank()) {
      return List.of();
    }
    try (KubernetesClient k8s = clients.get()) {
      var all = k8s.genericKubernetesResources(CRD);
      List<GenericKubernetesResource> items =
          namespace == null
              ? all.inAnyNamespace().list().getItems()
              : all.inNamespace(namespace).list().getItems();
      return items.stream()
          .filter(vk -> alias.equals(keyAliasOf(vk)))
          .map(vk -> vk.getMetadata().getNamespace() + "/" + vk.getMetadata().getName())
          .sorted()
          .toList();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return List.of(); // the operator's CRD is not installed: no VirtualKey can claim anything
      }
      throw ApplicationFailure.newFailureWithCause(
          "could not list the LiteLLM operator's VirtualKey objects"
              + (namespace == null ? "" : " in namespace " + namespace)
              + " (HTTP "
              + e.getCode()
              + "): the worker checks them before it rotates a key (KEYTURN_OPERATOR_CHECK)."
              + " Give its service account list on virtualkeys.auth.litellm.ai, or turn the check"
              + " off if the operator is not in this cluster.",
          RotationFailures.TRANSIENT,
          null);
    }
  }

  /** {@code spec.keyAlias} of a VirtualKey, or null. */
  static String keyAliasOf(GenericKubernetesResource vk) {
    Object spec = vk.getAdditionalProperties().get("spec");
    return spec instanceof Map<?, ?> m && m.get("keyAlias") instanceof String s ? s : null;
  }
}
