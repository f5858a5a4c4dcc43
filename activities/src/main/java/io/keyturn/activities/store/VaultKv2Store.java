package io.keyturn.activities.store;

import com.google.auto.service.AutoService;
import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.store.StoreType;
import io.keyturn.workflows.store.VaultKv2Config;
import io.temporal.failure.ApplicationFailure;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Vault (or OpenBao) KV version 2 through {@link VaultKv2Client}. The key goes into one data field
 * ({@code key} by default, as LiteLLM reads it); other fields of the secret are kept. Every write
 * uses check-and-set against the version just read, so a concurrent writer fails the write ({@code
 * VaultConflict}) instead of being overwritten. Custom metadata records the rotation's workflow id,
 * generation and the key's fingerprint. Versions are Vault's version numbers; restore writes the
 * previous version's data as a new version.
 */
public final class VaultKv2Store implements SecretStore {
  public static final String TYPE = VaultKv2Config.TYPE;

  private static final Logger log = LoggerFactory.getLogger(VaultKv2Store.class);

  private final VaultKv2Client vault;
  private final VaultKv2Config config;
  private final VaultKv2Client.Secret target;

  public VaultKv2Store(VaultKv2Client vault, VaultKv2Config config) {
    this.vault = Objects.requireNonNull(vault, "vault");
    this.config = Objects.requireNonNull(config, "config");
    this.target = secretOf(config);
  }

  /** The secret as {@link VaultKv2Client} names it. */
  static VaultKv2Client.Secret secretOf(VaultKv2Config config) {
    return new VaultKv2Client.Secret(
        config.mount(), config.path(), config.namespace(), config.field());
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String location() {
    return "vault " + target.describe();
  }

  public VaultKv2Config config() {
    return config;
  }

  /**
   * Writes {@code value} into the configured field as a new version (check-and-set), keeping the
   * secret's other fields, then sets custom metadata. Idempotent: nothing is written when the
   * current version already holds {@code value}.
   */
  @Override
  public StoreReceipt write(String value, RotationContext rotation) {
    String fingerprint = KeyMaterial.tokenHash(value);
    Optional<VaultKv2Client.Version> current = vault.read(target);
    if (current.isPresent() && fingerprint.equals(fingerprintOf(current.get()).orElse(null))) {
      long v = current.get().version();
      return receipt(v, v - 1, fingerprint, false);
    }
    long cas = current.map(VaultKv2Client.Version::version).orElse(0L);
    Map<String, Object> data =
        new LinkedHashMap<>(current.map(VaultKv2Client.Version::data).orElse(Map.of()));
    data.put(target.field(), value);
    long written = vault.write(target, data, cas);
    try {
      vault.setCustomMetadata(
          target,
          Map.of(
              "keyturn_workflow_id", rotation.workflowId(),
              "keyturn_generation", rotation.generation(),
              "keyturn_fingerprint", fingerprint));
    } catch (ApplicationFailure e) {
      // The value is in place; metadata only helps operators, so its failure must not undo that.
      log.warn("could not set custom metadata on {}: {}", location(), e.getOriginalMessage());
    }
    log.info(
        "wrote {} to {} as version {} (was {})",
        KeyRef.shortHash(fingerprint),
        location(),
        written,
        cas);
    return receipt(written, cas, fingerprint, true);
  }

  @Override
  public Optional<String> currentFingerprint() {
    return vault.read(target).flatMap(this::fingerprintOf);
  }

  @Override
  public Optional<String> currentValue() {
    return vault
        .read(target)
        .map(v -> v.data().get(target.field()))
        .filter(String.class::isInstance)
        .map(String.class::cast);
  }

  @Override
  public boolean supportsRestore() {
    return true;
  }

  /**
   * When the current version holds {@code fingerprintToUndo}: writes the previous version's data as
   * a new version (check-and-set), or soft-deletes the current version when there is no earlier
   * value. Idempotent: does nothing when the current version holds anything else.
   */
  @Override
  public StoreReceipt restorePrevious(String fingerprintToUndo) {
    Optional<VaultKv2Client.Version> current = vault.read(target);
    if (current.isEmpty() || !fingerprintToUndo.equals(fingerprintOf(current.get()).orElse(null))) {
      long v = current.map(VaultKv2Client.Version::version).orElse(0L);
      String fp = current.flatMap(this::fingerprintOf).orElse("");
      return receipt(v, v == 0 ? 0 : v - 1, fp, false);
    }
    long v = current.get().version();
    Optional<VaultKv2Client.Version> previous =
        v > 1 ? vault.read(target, v - 1) : Optional.empty();
    if (previous.isPresent() && !previous.get().data().isEmpty()) {
      long restored = vault.write(target, previous.get().data(), v);
      String fp = fingerprintOf(previous.get()).orElse("");
      log.info("restored {} to the value of version {} as version {}", location(), v - 1, restored);
      return receipt(restored, v, fp, true);
    }
    vault.deleteLatest(target);
    log.info("deleted version {} of {} (no earlier value)", v, location());
    return new StoreReceipt(TYPE, location(), "", String.valueOf(v), "", true);
  }

  /**
   * Soft-deletes the current version (KV v2 keeps the metadata and older versions, as LiteLLM's own
   * delete does). Idempotent: a missing or already deleted secret is done.
   */
  @Override
  public void delete() {
    Optional<VaultKv2Client.Version> current = vault.read(target);
    if (current.isEmpty() || current.get().data().isEmpty()) {
      return;
    }
    vault.deleteLatest(target);
    log.info("deleted version {} of {}", current.get().version(), location());
  }

  private Optional<String> fingerprintOf(VaultKv2Client.Version v) {
    return v.data().get(target.field()) instanceof String s
        ? Optional.of(KeyMaterial.tokenHash(s))
        : Optional.empty();
  }

  private StoreReceipt receipt(long version, long previous, String fingerprint, boolean written) {
    return new StoreReceipt(
        TYPE,
        location(),
        version == 0 ? "" : String.valueOf(version),
        previous <= 0 ? "" : String.valueOf(previous),
        fingerprint,
        written);
  }

  /**
   * Opens vault-kv2 destinations on the worker's Vault client. A destination that names an {@code
   * address} must name the worker's own VAULT_ADDR: one worker talks to one Vault.
   */
  @AutoService(SecretStoreProvider.class)
  public static final class Provider implements SecretStoreProvider<VaultKv2Config> {
    @Override
    public StoreType<VaultKv2Config> type() {
      return new VaultKv2Config.Type();
    }

    @Override
    public SecretStore open(VaultKv2Config config, StoreContext worker) {
      VaultKv2Client vault = worker.vault();
      if (config.address() != null
          && !config.address().equals(vault.address().replaceAll("/+$", ""))) {
        throw new IllegalArgumentException(
            "vault-kv2 store: the destination names Vault at "
                + config.address()
                + " but this worker's VAULT_ADDR is "
                + vault.address()
                + "; drop 'address' or run a worker configured for that Vault");
      }
      return new VaultKv2Store(vault, config);
    }
  }
}
