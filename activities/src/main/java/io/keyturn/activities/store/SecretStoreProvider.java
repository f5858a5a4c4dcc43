package io.keyturn.activities.store;

import io.keyturn.workflows.store.StoreType;

/**
 * Makes the {@link SecretStore} of one store type: the worker's half of a store type whose name,
 * settings and validation are its {@link StoreType} (in the workflows module, which the CLI carries
 * without any store SDK). Found by {@link SecretStoreRegistry} through {@link
 * java.util.ServiceLoader}: a public class with a no-argument constructor, named in {@code
 * META-INF/services/io.keyturn.activities.store.SecretStoreProvider}; by convention it is nested in
 * its store class ({@code FileStore.Provider}).
 *
 * @param <S> the store type's typed settings
 */
public interface SecretStoreProvider<S> {

  /** The store type this provider makes stores for. */
  StoreType<S> type();

  /**
   * A store bound to one destination.
   *
   * @param settings the destination's settings, already parsed and validated by {@link #type()}
   * @param worker what the worker provides (HTTP, the Vault client, shared SDK clients)
   * @throws IllegalArgumentException when the settings cannot be used on this worker (naming the
   *     setting and the fix)
   */
  SecretStore open(S settings, StoreContext worker);
}
