package io.keyturn.activities.vault;

import io.keyturn.activities.store.SecretStoreActivitiesV2;
import io.keyturn.activities.store.SecretStoreRegistry;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.SecretStoreActivities;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.VaultTarget;
import io.temporal.failure.ApplicationFailure;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Publishes rotated keys to Vault KV v2 in LiteLLM's format, and takes them back on rollback. */
public class SecretStoreActivitiesImpl implements SecretStoreActivities {
  private static final Logger log = LoggerFactory.getLogger(SecretStoreActivitiesImpl.class);

  private final VaultKv2Client vault;
  private final WorkerKeyring secret;
  private final SecretStoreActivitiesV2 destinations;

  public SecretStoreActivitiesImpl(VaultKv2Client vault, WorkerKeyring secret) {
    this(vault, secret, SecretStoreRegistry.builtIn(vault));
  }

  public SecretStoreActivitiesImpl(
      VaultKv2Client vault, WorkerKeyring secret, SecretStoreRegistry registry) {
    this.vault = vault;
    this.secret = secret;
    this.destinations = new SecretStoreActivitiesV2(registry, secret);
  }

  @Override
  public PublishReceipt publishKey(VaultTarget target, MintedKey key) {
    String location = target.describe();
    Optional<VaultKv2Client.Version> current = vault.read(target);
    if (current.isPresent() && holds(current.get(), target, key)) {
      log.info(
          "{} already holds {} (version {}); nothing to write",
          location,
          key.ref().fingerprint(),
          current.get().version());
      return new PublishReceipt(
          location, current.get().version(), current.get().version() - 1, false);
    }
    long cas = current.map(VaultKv2Client.Version::version).orElse(0L);
    // Keep any other fields the application stores beside the key; replace only ours.
    Map<String, Object> data =
        new LinkedHashMap<>(current.map(VaultKv2Client.Version::data).orElse(Map.of()));
    data.put(target.field(), secret.deriveKey(key.derivation()));
    long written = vault.write(target, data, cas);
    try {
      vault.setCustomMetadata(
          target,
          Map.of(
              "keyturn_alias", key.alias(),
              "keyturn_fingerprint", key.ref().fingerprint(),
              "keyturn_workflow_id", key.derivation().workflowId()));
    } catch (ApplicationFailure e) {
      log.warn("could not set custom metadata on {}: {}", location, e.getOriginalMessage());
    }
    Optional<VaultKv2Client.Version> back = vault.read(target);
    if (back.isEmpty() || !holds(back.get(), target, key)) {
      throw ApplicationFailure.newNonRetryableFailure(
          "read-back of "
              + location
              + " after writing version "
              + written
              + " does not hold "
              + key.ref().fingerprint()
              + " (found version "
              + back.map(v -> String.valueOf(v.version())).orElse("none")
              + "): another writer or a replication lag",
          RotationFailures.PUBLISH_MISMATCH);
    }
    log.info(
        "published {} to {} as version {} (was {})",
        key.ref().fingerprint(),
        location,
        written,
        cas);
    return new PublishReceipt(location, written, cas, true);
  }

  @Override
  public String unpublishKey(VaultTarget target, MintedKey key) {
    String location = target.describe();
    Optional<VaultKv2Client.Version> current = vault.read(target);
    if (current.isEmpty() || !holds(current.get(), target, key)) {
      return "Vault " + location + " does not hold the new key: nothing to undo.";
    }
    long v = current.get().version();
    if (v > 1) {
      Optional<VaultKv2Client.Version> previous = vault.read(target, v - 1);
      if (previous.isPresent() && !previous.get().data().isEmpty()) {
        long restored = vault.write(target, previous.get().data(), v);
        log.info("restored {} to the value of version {} as version {}", location, v - 1, restored);
        return "Vault "
            + location
            + ": previous value (version "
            + (v - 1)
            + ") put back as version "
            + restored
            + ".";
      }
    }
    vault.deleteLatest(target);
    log.info("deleted version {} of {} (no earlier value)", v, location);
    return "Vault " + location + ": version " + v + " deleted (there was no earlier value).";
  }

  private static boolean holds(VaultKv2Client.Version v, VaultTarget target, MintedKey key) {
    Object value = v.data().get(target.field());
    return value instanceof String s && KeyMaterial.tokenHash(s).equals(key.ref().tokenHash());
  }

  // ------------------------------------------------------------------ v2: destinations

  @Override
  public void checkDestination(Destination destination) {
    destinations.checkDestination(destination);
  }

  @Override
  public CurrentKey readCurrentKey(Destination destination) {
    return destinations.readCurrentKey(destination);
  }

  @Override
  public PublishReceipt publishTo(Destination destination, MintedKey key) {
    return destinations.publishTo(destination, key);
  }

  @Override
  public String restoreAt(Destination destination, MintedKey key) {
    return destinations.restoreAt(destination, key);
  }
}
