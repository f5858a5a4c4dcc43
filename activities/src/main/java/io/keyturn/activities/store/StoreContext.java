package io.keyturn.activities.store;

import io.keyturn.activities.vault.VaultKv2Client;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;

/**
 * What the worker gives the stores it opens: its Vault client (built from VAULT_ADDR and the
 * worker's Vault credentials, or without credentials, so that only a Vault destination fails), and
 * a place to keep clients that are costly to build (AWS SDK clients) for the worker's life.
 */
public final class StoreContext {
  private final VaultKv2Client vault;
  private final ConcurrentMap<String, Object> shared = new ConcurrentHashMap<>();

  public StoreContext(VaultKv2Client vault) {
    this.vault = Objects.requireNonNull(vault, "vault");
  }

  /** The worker's Vault client. */
  public VaultKv2Client vault() {
    return vault;
  }

  /**
   * The object kept under {@code key}, made by {@code make} the first time. Thread-safe; the object
   * lives as long as the worker.
   */
  @SuppressWarnings("unchecked")
  public <T> T shared(String key, Supplier<T> make) {
    return (T) shared.computeIfAbsent(key, k -> make.get());
  }
}
