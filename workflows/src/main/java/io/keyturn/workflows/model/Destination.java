package io.keyturn.workflows.model;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A place a rotated key is published: a secret store {@code type} and its settings (paths, region,
 * field names; never a credential: store credentials live in the worker's configuration). Types:
 *
 * <ul>
 *   <li>{@code vault-kv2}: {@code name} (required), {@code mount} (secret), {@code pathPrefix}
 *       (litellm/), {@code namespace}, {@code field} (key), {@code address} (the worker's
 *       VAULT_ADDR when absent);
 *   <li>{@code aws-secretsmanager}: {@code secretId}, {@code region} (required), {@code endpoint},
 *       {@code field} (absent: the plain key string, LiteLLM's format);
 *   <li>{@code file}: {@code path} (required), {@code format} (env or json), {@code field};
 *   <li>{@code kubernetes-secret}: {@code name} (required), {@code namespace} (default), {@code
 *       field} (key), {@code context}, {@code kubeconfig} (a path on the worker).
 * </ul>
 */
public record Destination(String type, Map<String, String> settings) {
  public static final Set<String> TYPES =
      Set.of("vault-kv2", "aws-secretsmanager", "file", "kubernetes-secret");

  public Destination {
    if (type == null || !TYPES.contains(type)) {
      throw new IllegalArgumentException(
          "unknown destination type '" + type + "': use one of " + new java.util.TreeSet<>(TYPES));
    }
    settings = settings == null ? Map.of() : Map.copyOf(new TreeMap<>(settings));
    for (String required : required(type)) {
      String v = settings.get(required);
      if (v == null || v.isBlank()) {
        throw new IllegalArgumentException(
            "destination "
                + type
                + " needs '"
                + required
                + "' (settings "
                + settings.keySet()
                + ")");
      }
    }
  }

  private static Set<String> required(String type) {
    return switch (type) {
      case "vault-kv2" -> Set.of("name");
      case "aws-secretsmanager" -> Set.of("secretId", "region");
      case "kubernetes-secret" -> Set.of("name");
      default -> Set.of("path");
    };
  }

  public String get(String setting, String dflt) {
    String v = settings.get(setting);
    return v == null || v.isBlank() ? dflt : v;
  }

  /** A readable location, e.g. {@code vault-kv2 secret/litellm/svc-a#key}. */
  public String describe() {
    return switch (type) {
      case "vault-kv2" ->
          "vault-kv2 "
              + (settings.containsKey("namespace") ? settings.get("namespace") + "/" : "")
              + get("mount", "secret")
              + "/"
              + get("pathPrefix", "litellm/").replaceAll("^/+", "").replaceAll("([^/])$", "$1/")
              + settings.get("name")
              + "#"
              + get("field", "key");
      case "aws-secretsmanager" ->
          "aws-secretsmanager "
              + settings.get("region")
              + ":"
              + settings.get("secretId")
              + (settings.containsKey("field") ? "#" + settings.get("field") : "");
      case "kubernetes-secret" ->
          "kubernetes-secret "
              + get("namespace", "default")
              + "/"
              + settings.get("name")
              + "#"
              + get("field", "key");
      default ->
          "file "
              + settings.get("path")
              + (settings.containsKey("field") ? "#" + settings.get("field") : "");
    };
  }
}
