package io.keyturn.workflows;

import io.keyturn.workflows.model.ProviderDeployment;
import io.keyturn.workflows.model.ProviderKey;
import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.activity.ActivityInterface;
import java.util.List;

/**
 * The calls a provider-key rotation makes, to the proxy's model-management API and to the provider
 * (one class per provider behind them). Key values stay in the worker: in and out of history go
 * {@link ProviderKey}s (sealed) and fingerprints.
 */
@ActivityInterface(namePrefix = "ProviderKey")
public interface ProviderKeyActivities {

  /**
   * Read-only: the provider is known and usable by this worker, no master-key rotation of the proxy
   * runs (any the worker finds running on the same gateway in Temporal's visibility, and those
   * named in {@code masterKeyWorkflows}), and the proxy has deployments of the model group
   * (returned, oldest first). Fails non-retryable ({@link ProviderKeyFailures}) with what to fix.
   */
  List<ProviderDeployment> preflight(ProviderKeyRequest request, List<String> masterKeyWorkflows);

  /**
   * Creates a new key at the provider, named {@code name}, and returns it sealed. Idempotent: a
   * retry finds what an attempt whose answer was lost made by its name, deletes it and creates
   * again.
   */
  ProviderKey createKey(ProviderKeyRequest request, String name);

  /**
   * Opens a key sealed by {@code keyturn provide}, checks it has the shape of {@code request}'s
   * provider (one API key, or an AWS pair as JSON), and answers its reference, shown as that shape
   * shows it (a pair by its access key id, never a character of its secret). No side effect. Fails
   * non-retryably with {@link ProviderKeyFailures#KEY_REJECTED}, showing no part of the value, when
   * it cannot be opened, is empty or has another shape.
   */
  ProviderKey describeProvided(ProviderKeyRequest request, SealedSecret sealed);

  /** An authenticated cheap call at the provider with {@code key} (list models). */
  void verifyAtProvider(ProviderKeyRequest request, String apiBase, ProviderKey key);

  /**
   * {@code POST /model/new}: a deployment {@code id} of the group like {@code like}, calling with
   * {@code key}. Idempotent: an {@code id} already there is adopted.
   */
  String addDeployment(
      ProviderKeyRequest request, ProviderDeployment like, ProviderKey key, String id);

  /** {@code GET /health?model_id=}: a request routed to that deployment only succeeds. */
  void verifyDeployment(String gateway, String id);

  /** {@code POST /model/delete}; "not found" is done. */
  String deleteDeployment(String gateway, String id);

  /**
   * Read-only: the provider ids of the keys Keyturn made earlier for this model group (an automated
   * provider finds them by the name {@link #createKey} gave them), other than {@code newKeyId}.
   * Empty for a provider that cannot list its keys ({@code manual}). This is how a rotation whose
   * proxy reads the key from a secret store knows which key to revoke: the store holds the value
   * only, and the deployments are not Keyturn's to annotate.
   */
  List<String> earlierKeys(ProviderKeyRequest request, String newKeyId);

  /** Revokes a key at the provider by its provider id; "already gone" is done. */
  String revokeKey(ProviderKeyRequest request, String providerId);
}
