package io.keyturn.activities.store;

import java.util.Map;
import java.util.Set;

/**
 * A Kubernetes Secret destination: the Secret's {@code namespace} (default {@code default}) and
 * {@code name}, the {@code field} of its {@code data} that holds the key (default {@code key}), and
 * optionally which kubeconfig {@code context} and {@code kubeconfig} file to use (null: fabric8's
 * default configuration, i.e. the in-cluster service account or {@code ~/.kube/config} and its
 * current context). The worker's own credentials are used, never credentials from the settings.
 */
public record KubernetesSecretConfig(
    String namespace, String name, String field, String context, String kubeconfig) {

  /** The suffix of the data key that holds the value a write replaced, for restore. */
  public static final String PREVIOUS_SUFFIX = ".previous";

  private static final String DNS1123_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
  private static final String DNS1123_SUBDOMAIN = DNS1123_LABEL + "(\\." + DNS1123_LABEL + ")*";

  public KubernetesSecretConfig {
    namespace = namespace == null || namespace.isBlank() ? "default" : namespace.trim();
    if (namespace.length() > 63 || !namespace.matches(DNS1123_LABEL)) {
      throw new IllegalArgumentException(
          "kubernetes-secret store: 'namespace' must be a DNS-1123 label (lowercase letters,"
              + " digits and '-', at most 63 characters), got '"
              + namespace
              + "'");
    }
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          "kubernetes-secret store: 'name' must name the Secret, e.g. litellm-svc-a");
    }
    name = name.trim();
    if (name.length() > 253 || !name.matches(DNS1123_SUBDOMAIN)) {
      throw new IllegalArgumentException(
          "kubernetes-secret store: 'name' must be a DNS-1123 name (lowercase letters, digits,"
              + " '-' and '.', starting and ending with a letter or digit, at most 253"
              + " characters), got '"
              + name
              + "'");
    }
    field = field == null || field.isBlank() ? "key" : field.trim();
    if (field.length() > 253 - PREVIOUS_SUFFIX.length() || !field.matches("[-._a-zA-Z0-9]+")) {
      throw new IllegalArgumentException(
          "kubernetes-secret store: 'field' must be a Secret data key (letters, digits, '-', '_'"
              + " and '.', at most "
              + (253 - PREVIOUS_SUFFIX.length())
              + " characters), got '"
              + field
              + "'");
    }
    if (field.endsWith(PREVIOUS_SUFFIX)) {
      throw new IllegalArgumentException(
          "kubernetes-secret store: 'field' must not end with '"
              + PREVIOUS_SUFFIX
              + "': Keyturn keeps the replaced value under '<field>"
              + PREVIOUS_SUFFIX
              + "'; got '"
              + field
              + "'");
    }
    context = context == null || context.isBlank() ? null : context.trim();
    kubeconfig = kubeconfig == null || kubeconfig.isBlank() ? null : kubeconfig.trim();
  }

  /** The Secret {@code namespace/name} in the worker's default Kubernetes configuration. */
  public static KubernetesSecretConfig of(String namespace, String name, String field) {
    return new KubernetesSecretConfig(namespace, name, field, null, null);
  }

  /** The data key that holds the value the last write replaced. */
  public String previousField() {
    return field + PREVIOUS_SUFFIX;
  }

  /**
   * Settings {@code namespace} (default {@code default}), {@code name}, {@code field} (default
   * {@code key}), {@code context} and {@code kubeconfig} (a file path on the worker).
   */
  public static KubernetesSecretConfig fromSettings(Map<String, String> settings) {
    Settings.only(
        KubernetesSecretStore.TYPE,
        settings,
        Set.of("namespace", "name", "field", "context", "kubeconfig"));
    return new KubernetesSecretConfig(
        settings.get("namespace"),
        settings.get("name"),
        settings.get("field"),
        settings.get("context"),
        settings.get("kubeconfig"));
  }
}
