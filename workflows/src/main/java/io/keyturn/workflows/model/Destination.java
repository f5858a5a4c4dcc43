package io.keyturn.workflows.model;

import io.keyturn.workflows.store.StoreTypes;
import java.util.Map;
import java.util.TreeMap;

/**
 * A place a rotated key is published: a secret store {@code type} and its settings (paths, region,
 * field names; never a credential: store credentials live in the worker's configuration). What the
 * types and their settings are is {@link io.keyturn.workflows.store.StoreTypes}' to say; this
 * record only carries them, so a history names its destinations as they were written.
 */
public record Destination(String type, Map<String, String> settings) {
  public Destination {
    settings = settings == null ? Map.of() : Map.copyOf(new TreeMap<>(settings));
  }

  /** The setting's value, or {@code dflt} when it is absent or blank. */
  public String get(String setting, String dflt) {
    String v = settings.get(setting);
    return v == null || v.isBlank() ? dflt : v;
  }

  /** A readable location, e.g. {@code vault-kv2 secret/litellm/svc-a#key}. */
  public String describe() {
    return StoreTypes.describe(this);
  }
}
