package io.keyturn.workflows;

import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.MasterKey;
import io.keyturn.workflows.model.MasterKeyPreflight;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.PublishReceipt;
import io.temporal.activity.ActivityInterface;
import java.util.List;

/**
 * The calls a master-key rotation makes. Every key value stays in the worker: in and out of history
 * go {@link MasterKey}s (a sealed value or a derivation) and fingerprints.
 */
@ActivityInterface
public interface MasterKeyActivities {

  /**
   * Read-only checks before anything changes: the first destination holds the current master key,
   * the proxy accepts it (and it is not a virtual key), the proxy is ready with its database, every
   * destination can take a write; counts the stored models (and checks each one's health) and the
   * stored credentials. First of all, no provider-key rotation of the same proxy may run (found in
   * Temporal's visibility by its gateway: {@link MasterKeyFailures#PROVIDER_KEY_ROTATING}, naming
   * them). Fails non-retryable ({@link MasterKeyFailures}) with what to fix.
   */
  MasterKeyPreflight preflight(MasterKeyRequest request);

  /** The new master key: {@code derivation} bound to the worker's current key. No side effect. */
  MasterKey generate(KeyDerivation derivation);

  /**
   * Mints a short-lived virtual key with the current master key, to prove after the restart that
   * virtual keys still authenticate. Idempotent (its value is derived: a retry adopts it).
   */
  MasterKey mintProbe(String gateway, MasterKey admin, KeyDerivation probe);

  /** Deletes the probe with whichever of {@code keys} the proxy accepts. "Already gone" is done. */
  String deleteProbe(String gateway, List<MasterKey> keys, MasterKey probe);

  /**
   * {@code POST /key/regenerate} with {@code key: from} and {@code new_master_key: to}: the proxy
   * re-encrypts its stored values from its current encryption key to {@code to}. It does not change
   * the master key the proxy runs with. Not idempotent (a second run would encrypt ciphertexts), so
   * the workflow never retries it: a lost answer is reported as such.
   */
  void reencrypt(String gateway, MasterKey from, MasterKey to);

  /** Writes {@code key} to one destination and reads it back. Idempotent. */
  PublishReceipt publish(Destination destination, MasterKey key, String workflowId);

  /** POSTs the restart webhook; 2xx is done. */
  void restartWebhook(String url, String workflowId, String reason);

  /** Patches the Deployment's pod-template restart annotation and waits for the rollout. */
  void restartKubernetes(
      String deployment, String namespace, String context, String workflowId, String stamp);

  /**
   * Succeeds once the proxy accepts {@code key} (retryable failure until then): the restart took.
   */
  void awaitAccepted(String gateway, MasterKey key);

  /**
   * After the restart: {@code expected} accepted, {@code refused} refused, the same stored models
   * and credentials as preflight counted, each model healthy at preflight still healthy, the probe
   * virtual key still authenticates. Returns what is wrong; empty when all holds.
   */
  List<String> verify(
      String gateway,
      MasterKey expected,
      MasterKey refused,
      MasterKeyPreflight preflight,
      MasterKey probe);
}
