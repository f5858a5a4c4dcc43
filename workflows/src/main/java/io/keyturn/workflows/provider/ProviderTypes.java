package io.keyturn.workflows.provider;

import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every {@link ProviderType} on the class path, by name, found through {@link ServiceLoader}: there
 * is no list of providers anywhere else. keyturn.yaml's schema ({@code provider:} and each
 * provider's settings), the config checks, help and the worker's providers are made from these.
 */
public final class ProviderTypes {
  private ProviderTypes() {}

  private static final Map<String, ProviderType> TYPES = load();

  private static Map<String, ProviderType> load() {
    Map<String, ProviderType> types = new TreeMap<>();
    for (ProviderType t :
        ServiceLoader.load(ProviderType.class, ProviderType.class.getClassLoader())) {
      ProviderType before = types.putIfAbsent(t.name(), t);
      if (before != null && before.getClass() != t.getClass()) {
        throw new IllegalStateException(
            "two providers are named '"
                + t.name()
                + "': "
                + before.getClass().getName()
                + " and "
                + t.getClass().getName());
      }
    }
    return types;
  }

  /** Every provider, by name. */
  public static Collection<ProviderType> all() {
    return TYPES.values();
  }

  /** The names, sorted. */
  public static Set<String> names() {
    return TYPES.keySet();
  }

  /** The provider named {@code name}, if there is one. */
  public static Optional<ProviderType> find(String name) {
    return Optional.ofNullable(TYPES.get(name));
  }

  /**
   * The provider named {@code name}.
   *
   * @throws IllegalArgumentException naming the known providers
   */
  public static ProviderType get(String name) {
    ProviderType t = TYPES.get(name);
    if (t == null) {
      throw new IllegalArgumentException(
          "unknown provider '" + name + "': use one of " + TYPES.keySet());
    }
    return t;
  }
}
