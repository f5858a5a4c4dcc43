package io.keyturn.activities.provider;

import io.keyturn.workflows.provider.ProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * The worker's providers: one {@link KeyProvider} from each {@link KeyProvider.Factory} on the
 * class path, found through {@link ServiceLoader}, so there is no list of providers here. Each must
 * be the worker's half of a {@link ProviderType} of the same name, agreeing with it on whether it
 * is automated.
 */
public final class KeyProviders {
  private KeyProviders() {}

  /**
   * Every provider on the class path, made with what {@code worker} gives, sorted by name.
   *
   * @throws IllegalStateException when a provider has no {@link ProviderType}, disagrees with it,
   *     or two share a name
   */
  public static List<KeyProvider> builtIn(ProviderContext worker) {
    Map<String, KeyProvider> out = new TreeMap<>();
    for (KeyProvider.Factory f :
        ServiceLoader.load(KeyProvider.Factory.class, KeyProvider.Factory.class.getClassLoader())) {
      KeyProvider p = f.make(worker);
      ProviderType t =
          ProviderTypes.find(p.name())
              .orElseThrow(
                  () ->
                      new IllegalStateException(
                          "provider '"
                              + p.name()
                              + "' ("
                              + p.getClass().getName()
                              + ") has no ProviderType of that name in workflows/provider"));
      if (t.automated() != p.automated()) {
        throw new IllegalStateException(
            "provider '"
                + p.name()
                + "': its ProviderType and its KeyProvider disagree on automated");
      }
      if (out.putIfAbsent(p.name(), p) != null) {
        throw new IllegalStateException("two providers are named '" + p.name() + "'");
      }
    }
    return List.copyOf(out.values());
  }

  /**
   * What {@code type} finds wrong in {@code settings}, in one sentence with its fix, or null: the
   * checks keyturn.yaml's loader makes, for a provider's {@link KeyProvider#problem}. A setting the
   * provider does not declare is the loader's to refuse; here it is left alone.
   */
  public static String settingsProblem(ProviderType type, Map<String, String> settings) {
    Set<String> declared = new HashSet<>();
    type.settings().forEach(s -> declared.add(s.name()));
    Map<String, String> own = new HashMap<>(settings == null ? Map.of() : settings);
    own.keySet().retainAll(declared);
    List<ProviderType.Problem> bad = type.problems(own);
    return bad.isEmpty() ? null : bad.get(0).message() + " " + bad.get(0).fix();
  }
}
