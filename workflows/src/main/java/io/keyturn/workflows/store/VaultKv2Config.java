package io.keyturn.workflows.store;

import com.google.auto.service.AutoService;
import java.time.Duration;
import java.util.Map;

/**
 * A Vault (or OpenBao) KV version 2 destination: the engine's {@code mount} (default {@code
 * secret}), the secret {@code path} below it (LiteLLM's layout: {@code <pathPrefix><name>}, e.g.
 * {@code litellm/svc-a}), an Enterprise {@code namespace} (optional), the data {@code field}
 * holding the key (default {@code key}, LiteLLM's own format {@code {"key": "sk-..."}}) and
 * optionally the {@code address} the destination expects (it must be the worker's {@code
 * VAULT_ADDR}). The token is the worker's.
 */
public record VaultKv2Config(
    String mount, String path, String namespace, String field, String address) {

  public static final String TYPE = "vault-kv2";

  /** Where LiteLLM's own Vault integration keeps its keys below the mount. */
  public static final String DEFAULT_PATH_PREFIX = "litellm/";

  public static final String DEFAULT_MOUNT = "secret";
  public static final String DEFAULT_FIELD = "key";

  /** The Vault address the CLI checks when neither the destination nor VAULT_ADDR names one. */
  public static final String DEFAULT_ADDRESS = "http://127.0.0.1:8200";

  public VaultKv2Config {
    mount = trimSlashes(mount == null || mount.isBlank() ? DEFAULT_MOUNT : mount);
    if (path == null || path.isBlank()) {
      throw new IllegalArgumentException(
          "vault-kv2 store: 'path' must name the secret below the mount, e.g. litellm/svc-a");
    }
    path = trimSlashes(path);
    namespace = namespace == null || namespace.isBlank() ? null : trimSlashes(namespace);
    field = field == null || field.isBlank() ? DEFAULT_FIELD : field.trim();
    address = address == null || address.isBlank() ? null : address.trim().replaceAll("/+$", "");
    for (String part : new String[] {mount, path, namespace == null ? "" : namespace}) {
      if (part.contains("..") || part.contains("?") || part.contains("#")) {
        throw new IllegalArgumentException(
            "vault-kv2 store: 'mount', 'pathPrefix', 'name' and 'namespace' must not contain"
                + " '..', '?' or '#': "
                + part);
      }
    }
  }

  /** A destination on the worker's own Vault. */
  public VaultKv2Config(String mount, String path, String namespace, String field) {
    this(mount, path, namespace, field, null);
  }

  /** {@code <namespace>/<mount>/<path>#<field>}, e.g. {@code secret/litellm/svc-a#key}. */
  public String describe() {
    return (namespace == null ? "" : namespace + "/") + mount + "/" + path + "#" + field;
  }

  /** {@code prefix} as a path prefix: no leading slash, one trailing slash unless empty. */
  static String prefix(String prefix) {
    String p = prefix.trim().replaceAll("^/+", "");
    return p.isEmpty() || p.endsWith("/") ? p : p + "/";
  }

  private static String trimSlashes(String s) {
    return s.trim().replaceAll("^/+", "").replaceAll("/+$", "");
  }

  /** The {@value #TYPE} store type. */
  @AutoService(StoreType.class)
  public static final class Type extends StoreType<VaultKv2Config> {
    public Type() {
      super(
          TYPE,
          "Vault or OpenBao KV version 2, in LiteLLM's format {\"key\": \"sk-...\"}; check-and-set"
              + " detects a concurrent writer; custom_metadata carries the generation and"
              + " fingerprint.",
          StoreSetting.required("name", "the secret's name below the path prefix, e.g. svc-a"),
          StoreSetting.optional("mount", DEFAULT_MOUNT, "the KV version 2 mount"),
          StoreSetting.optional(
              "pathPrefix",
              DEFAULT_PATH_PREFIX,
              "the path below the mount the name is put under (/ for none)"),
          StoreSetting.optional("namespace", null, "a Vault Enterprise or OpenBao namespace"),
          StoreSetting.optional(
              "field", DEFAULT_FIELD, "the secret's data field that holds the key"),
          StoreSetting.optional(
                  "address", null, "the Vault address, which must be the worker's VAULT_ADDR")
              .matching("https?://.+"));
    }

    @Override
    protected VaultKv2Config build(Map<String, String> v) {
      String prefix = prefix(v.getOrDefault("pathPrefix", DEFAULT_PATH_PREFIX));
      return new VaultKv2Config(
          v.get("mount"),
          prefix + v.get("name"),
          v.get("namespace"),
          v.get("field"),
          v.get("address"));
    }

    @Override
    public String describe(VaultKv2Config c) {
      return c.describe();
    }

    @Override
    public Problem checkFromHere(VaultKv2Config c, Map<String, String> env, Duration timeout) {
      String addr =
          c.address() != null ? c.address() : env.getOrDefault("VAULT_ADDR", DEFAULT_ADDRESS);
      String err = answers(addr.replaceAll("/+$", "") + "/v1/sys/health", timeout);
      return err == null
          ? null
          : new Problem(
              null,
              "Vault at " + addr + " cannot be reached from here: " + err + ".",
              "check the address (set 'address' or VAULT_ADDR), or pass --skip-checks if only the"
                  + " worker can reach it.");
    }
  }
}
