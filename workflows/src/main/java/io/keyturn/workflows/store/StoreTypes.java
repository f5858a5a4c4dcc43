package io.keyturn.workflows.store;

import io.keyturn.workflows.model.Destination;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeMap;

/**
 * Every {@link StoreType} on the class path, by name, found through {@link ServiceLoader}: there is
 * no list of store types anywhere else. The JSON Schema of keyturn.yaml's destinations, the {@code
 * rotate --to} help and every destination's description are made from these.
 */
public final class StoreTypes {
  private StoreTypes() {}

  private static final Map<String, StoreType<?>> TYPES = load();

  private static Map<String, StoreType<?>> load() {
    Map<String, StoreType<?>> types = new TreeMap<>();
    for (StoreType<?> t : ServiceLoader.load(StoreType.class, StoreType.class.getClassLoader())) {
      StoreType<?> before = types.putIfAbsent(t.name(), t);
      if (before != null && before.getClass() != t.getClass()) {
        throw new IllegalStateException(
            "two store types are named '"
                + t.name()
                + "': "
                + before.getClass().getName()
                + " and "
                + t.getClass().getName());
      }
    }
    return types;
  }

  /** Every store type, by name. */
  public static Collection<StoreType<?>> all() {
    return TYPES.values();
  }

  /** The names, sorted. */
  public static java.util.Set<String> names() {
    return TYPES.keySet();
  }

  /**
   * The store type named {@code name}.
   *
   * @throws IllegalArgumentException naming the known types
   */
  public static StoreType<?> get(String name) {
    StoreType<?> t = TYPES.get(name);
    if (t == null) {
      throw new IllegalArgumentException(
          "unknown destination type '" + name + "': use one of " + TYPES.keySet());
    }
    return t;
  }

  /**
   * Checks a destination's type and settings as the worker will.
   *
   * @throws IllegalArgumentException naming the type or setting and what to write instead
   */
  public static void validate(Destination d) {
    get(d.type()).parse(d.settings());
  }

  /**
   * Where a destination points, e.g. {@code vault-kv2 secret/litellm/svc-a#key}; a destination
   * whose type or settings are not valid reads as its type and settings as given.
   */
  public static String describe(Destination d) {
    StoreType<?> t = TYPES.get(d.type());
    if (t != null) {
      try {
        return d.type() + " " + t.describeValues(d.settings());
      } catch (IllegalArgumentException e) {
        // fall through: an invalid destination is described as written
      }
    }
    return d.type() + " " + d.settings();
  }

  /**
   * The check {@code keyturn plan} makes from where it runs.
   *
   * @return the problem, or null when the destination looks usable from here
   * @throws IllegalArgumentException when its type or settings are not valid
   */
  public static StoreType.Problem checkFromHere(
      Destination d, Map<String, String> env, Duration timeout) {
    return get(d.type()).checkValuesFromHere(d.settings(), env, timeout);
  }
}
