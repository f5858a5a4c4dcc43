package io.keyturn.activities.store;

import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.store.StoreType;
import io.keyturn.workflows.store.StoreTypes;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.function.Function;

/**
 * Secret stores by type name. {@link #builtIn} finds every {@link SecretStoreProvider} on the class
 * path through {@link ServiceLoader}, so there is no list of stores here: a destination's settings
 * are parsed and validated by its {@link StoreType} (the same code the CLI runs), then the provider
 * makes the store with what the worker gives it ({@link StoreContext}).
 */
public final class SecretStoreRegistry {

  private final Map<String, Function<Map<String, String>, SecretStore>> factories;

  private SecretStoreRegistry(Map<String, Function<Map<String, String>, SecretStore>> factories) {
    this.factories = Collections.unmodifiableMap(new LinkedHashMap<>(factories));
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Every provider on the class path, with {@code worker}'s resources. A store that holds an SDK
   * client of its own is closed by its user ({@link AutoCloseable}).
   *
   * @throws IllegalStateException when a provider's type is not a {@link StoreTypes} type
   */
  public static SecretStoreRegistry builtIn(StoreContext worker) {
    Builder b = builder();
    for (SecretStoreProvider<?> p :
        ServiceLoader.load(SecretStoreProvider.class, SecretStoreProvider.class.getClassLoader())) {
      b.register(p.type().name(), factory(p, worker));
    }
    return b.build();
  }

  /** {@link #builtIn(StoreContext)} with the worker's Vault client. */
  public static SecretStoreRegistry builtIn(VaultKv2Client vault) {
    return builtIn(new StoreContext(vault));
  }

  private static <S> Function<Map<String, String>, SecretStore> factory(
      SecretStoreProvider<S> p, StoreContext worker) {
    StoreType<S> type = p.type();
    return settings -> p.open(type.parse(settings), worker);
  }

  /** The registered type names. */
  public Set<String> types() {
    return factories.keySet();
  }

  /**
   * A store of {@code type} for the destination {@code settings}.
   *
   * @throws IllegalArgumentException for an unknown type (naming the known ones) or invalid
   *     settings (naming the setting and the fix)
   */
  public SecretStore create(String type, Map<String, String> settings) {
    Function<Map<String, String>, SecretStore> factory = factories.get(type);
    if (factory == null) {
      throw new IllegalArgumentException(
          "unknown secret store type '" + type + "': use one of " + factories.keySet());
    }
    return factory.apply(settings == null ? Map.of() : settings);
  }

  /** {@link #create(String, Map)} for a destination. */
  public SecretStore create(Destination d) {
    return create(d.type(), d.settings());
  }

  /** Collects factories; a type registered twice is a mistake and is refused. */
  public static final class Builder {
    private final Map<String, Function<Map<String, String>, SecretStore>> factories =
        new LinkedHashMap<>();

    private Builder() {}

    public Builder register(String type, Function<Map<String, String>, SecretStore> factory) {
      Objects.requireNonNull(factory, "factory");
      if (type == null || !type.matches("[a-z0-9][a-z0-9-]*")) {
        throw new IllegalArgumentException(
            "store type must be lowercase letters, digits and '-': " + type);
      }
      if (factories.putIfAbsent(type, factory) != null) {
        throw new IllegalArgumentException("store type '" + type + "' is already registered");
      }
      return this;
    }

    public SecretStoreRegistry build() {
      return new SecretStoreRegistry(factories);
    }
  }
}
