package io.keyturn.workflows.model;

/**
 * Where a rotated key is published in HashiCorp Vault (or OpenBao) KV version 2. The URL written is
 * {@code <addr>/v1/<mount>/data/<pathPrefix><name>}, with the namespace sent as {@code
 * X-Vault-Namespace} when set. The value is written in LiteLLM's own format, {@code {"<field>":
 * "sk-..."}} with {@code field} defaulting to {@code key}. The Vault address and token live in the
 * worker's configuration, never here.
 */
public record VaultTarget(
    String mount, String pathPrefix, String name, String namespace, String field) {
  public VaultTarget {
    mount = trimSlashes(mount == null || mount.isBlank() ? "secret" : mount);
    pathPrefix = pathPrefix == null ? "" : pathPrefix.replaceAll("^/+", "");
    if (!pathPrefix.isEmpty() && !pathPrefix.endsWith("/")) {
      pathPrefix = pathPrefix + "/";
    }
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException("vault secret name must not be empty");
    }
    name = trimSlashes(name);
    namespace = namespace == null || namespace.isBlank() ? null : trimSlashes(namespace);
    field = field == null || field.isBlank() ? "key" : field;
    for (String part : new String[] {mount, pathPrefix, name}) {
      if (part.contains("..") || part.contains("?") || part.contains("#")) {
        throw new IllegalArgumentException(
            "vault path parts must not contain '..', '?' or '#': " + part);
      }
    }
  }

  /** The logical secret path below the mount, e.g. {@code litellm/svc-a}. */
  public String secretPath() {
    return pathPrefix + name;
  }

  /** A readable location such as {@code secret/litellm/svc-a#key}. */
  public String describe() {
    return (namespace == null ? "" : namespace + "/") + mount + "/" + secretPath() + "#" + field;
  }

  private static String trimSlashes(String s) {
    return s.trim().replaceAll("^/+", "").replaceAll("/+$", "");
  }
}
