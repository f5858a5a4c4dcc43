package io.keyturn.activities.store;

import io.keyturn.activities.vault.VaultKv2Client;
import java.util.Map;
import java.util.Set;

/**
 * A Vault (or OpenBao) KV version 2 destination: the engine's {@code mount} (default {@code
 * secret}), the secret {@code path} below it (e.g. {@code litellm/svc-a}), an Enterprise {@code
 * namespace} (optional) and the data {@code field} holding the key (default {@code key}, LiteLLM's
 * own format {@code {"key": "sk-..."}}). The address and token are the worker's.
 */
public record VaultKv2Config(String mount, String path, String namespace, String field) {
  public VaultKv2Config {
    mount = mount == null || mount.isBlank() ? "secret" : mount.trim();
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException(
          "vault-kv2 store: 'path' must name the secret below the mount, e.g. litellm/svc-a");
    }
    path = path.trim();
    namespace = namespace == null || namespace.isBlank() ? null : namespace.trim();
    field = field == null || field.isBlank() ? "key" : field.trim();
    try {
      target(mount, path, namespace, field);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "vault-kv2 store: 'mount', 'path' or 'namespace' is not usable: " + e.getMessage(), e);
    }
  }

  /** Settings {@code mount}, {@code path}, {@code namespace}, {@code field}. */
  public static VaultKv2Config fromSettings(Map<String, String> settings) {
    Settings.only(
        VaultKv2Store.TYPE,
        settings,
        Set.of("mount", "path", "name", "pathPrefix", "namespace", "field", "address"));
    String path = settings.get("path");
    String name = settings.get("name");
    if (path != null && name != null) {
      throw new IllegalArgumentException(
          "vault-kv2 store: give either 'path' or 'name' (with 'pathPrefix'), not both");
    }
    if (path == null && name != null) {
      // LiteLLM's own layout: <mount>/data/<prefix><name>, prefix "litellm/" unless told.
      String prefix = settings.getOrDefault("pathPrefix", "litellm/");
      if (!prefix.isEmpty() && !prefix.endsWith("/")) {
        prefix = prefix + "/";
      }
      path = prefix + name;
    }
    return new VaultKv2Config(
        settings.get("mount"), path, settings.get("namespace"), settings.get("field"));
  }

  /** The secret as {@link VaultKv2Client} names it. */
  public VaultKv2Client.Secret target() {
    return target(mount, path, namespace, field);
  }

  private static VaultKv2Client.Secret target(
      String mount, String path, String namespace, String field) {
    return new VaultKv2Client.Secret(mount, path, namespace, field);
  }
}
