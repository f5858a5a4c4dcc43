package io.keyturn.workflows.store;

import com.google.auto.service.AutoService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A Kubernetes Secret destination: the Secret's {@code namespace} (default {@code default}) and
 * {@code name}, the {@code field} of its {@code data} that holds the key (default {@code key}), and
 * optionally which kubeconfig {@code context} and {@code kubeconfig} file to use (null: fabric8's
 * default configuration, i.e. the in-cluster service account or {@code ~/.kube/config} and its
 * current context). The worker's own credentials are used, never credentials from the settings.
 */
public record KubernetesSecretConfig(
    String namespace, String name, String field, String context, String kubeconfig) {

  public static final String TYPE = "kubernetes-secret";

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

  /** {@code <namespace>/<name>#<field>}, e.g. {@code apps/litellm-svc-a#key}. */
  public String describe() {
    return namespace + "/" + name + "#" + field;
  }

  /** The {@value #TYPE} store type. */
  @AutoService(StoreType.class)
  public static final class Type extends StoreType<KubernetesSecretConfig> {
    public Type() {
      super(
          TYPE,
          "One data key of a Kubernetes Secret (others kept), updated with the resourceVersion"
              + " read, so a concurrent writer is a conflict; the replaced value is kept in"
              + " <field>.previous; labels and annotations carry the generation and fingerprint;"
              + " the client is the worker's (in-cluster service account or kubeconfig; RBAC: get,"
              + " create, update on secrets).",
          StoreSetting.required("name", "the Secret's name, a DNS-1123 name such as litellm-svc-a")
              .matching(DNS1123_SUBDOMAIN),
          StoreSetting.optional("namespace", "default", "the Secret's namespace, a DNS-1123 label")
              .matching(DNS1123_LABEL),
          StoreSetting.optional("field", "key", "the Secret's data key that holds the key")
              .matching("[-._a-zA-Z0-9]+"),
          StoreSetting.optional("context", null, "the kubeconfig context (default: current)"),
          StoreSetting.optional(
              "kubeconfig",
              null,
              "a kubeconfig file on the worker (default: in-cluster or ~/.kube/config)"));
    }

    @Override
    protected KubernetesSecretConfig build(Map<String, String> v) {
      return new KubernetesSecretConfig(
          v.get("namespace"), v.get("name"), v.get("field"), v.get("context"), v.get("kubeconfig"));
    }

    @Override
    public String describe(KubernetesSecretConfig c) {
      return c.describe();
    }

    /**
     * From here: the kubeconfig the worker would use (the setting, else {@code $KUBECONFIG}'s first
     * file, else {@code ~/.kube/config}) is readable and names the context, or this machine is in a
     * cluster. The API server itself is the worker's to reach.
     */
    @Override
    public Problem checkFromHere(
        KubernetesSecretConfig c, Map<String, String> env, Duration timeout) {
      String file = c.kubeconfig();
      if (file == null && env.get("KUBECONFIG") != null && !env.get("KUBECONFIG").isBlank()) {
        file = env.get("KUBECONFIG").split(java.io.File.pathSeparator)[0];
      }
      if (file == null) {
        if (env.get("KUBERNETES_SERVICE_HOST") != null) {
          return null; // in a cluster: the service account
        }
        file = System.getProperty("user.home") + "/.kube/config";
      }
      String text;
      try {
        text = Files.readString(Path.of(file));
      } catch (IOException | RuntimeException e) {
        return new Problem(
            c.kubeconfig() != null ? "kubeconfig" : null,
            "no Kubernetes configuration here: " + file + " cannot be read.",
            "name a readable kubeconfig (setting 'kubeconfig' or KUBECONFIG), or pass"
                + " --skip-checks if only the worker (in its cluster) can reach Kubernetes.");
      }
      if (c.context() != null && !text.contains(c.context())) {
        return new Problem(
            "context",
            "the kubeconfig " + file + " has no context '" + c.context() + "'.",
            "use a context `kubectl config get-contexts` lists, or drop 'context'.");
      }
      return null;
    }
  }
}
