package io.keyturn.workflows.operator;

import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.PublishReceipt;
import io.temporal.activity.ActivityInterface;

/**
 * The Kubernetes side of a rotation through the LiteLLM operator. Only the worker reads a key: the
 * operator's Secret is read inside {@link #awaitReady}, {@link #verifyCopy} and {@link
 * #publishCopy}; what they return is a reference (token hash, fingerprint), never a value.
 */
@ActivityInterface(namePrefix = "Operator")
public interface OperatorActivities {

  /**
   * The lineage of {@code virtualKey} ({@code <namespace>/<name>}). Fails non-retryably when none
   * of its objects exists.
   */
  VirtualKeyLineage lineage(String virtualKey, String secretId);

  /**
   * Creates the copy of the lineage's current VirtualKey: same spec (without {@code spec.key}, so
   * the operator mints a fresh value) under {@link VirtualKeyLineage#nextAlias()}, labelled as
   * Keyturn's. Idempotent: an existing object of that name labelled as this rotation's is adopted;
   * any other one is a non-retryable conflict.
   */
  VirtualKeyCopy createCopy(VirtualKeyLineage lineage, String secretId, String workflowId);

  /**
   * Waits (retryably) until the operator reports the copy Ready and its Secret holds a key; returns
   * that key's reference.
   */
  KeyRef awaitReady(VirtualKeyCopy copy);

  /** Calls the proxy's {@code /v1/models} with the copy's key, which must still be {@code key}. */
  void verifyCopy(String gatewayUrl, VirtualKeyCopy copy, KeyRef key);

  /**
   * Writes the copy's key (which must still be {@code key}) to one destination and reads it back.
   * Idempotent: a store that holds it already is not written.
   */
  PublishReceipt publishCopy(
      Destination destination, VirtualKeyCopy copy, KeyRef key, String workflowId);

  /**
   * Deletes a VirtualKey (its finalizer deletes its key). Already gone = done. Says what it did.
   */
  String deleteVirtualKey(String namespace, String name);

  /**
   * Waits (retryably) until the VirtualKey is gone and, when {@code tokenHash} is not empty, the
   * proxy no longer has that key.
   */
  void awaitGone(String gatewayUrl, String namespace, String name, String tokenHash);
}
