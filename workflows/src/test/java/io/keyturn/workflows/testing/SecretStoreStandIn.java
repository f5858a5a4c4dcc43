package io.keyturn.workflows.testing;

import io.keyturn.workflows.SecretStoreActivities;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.SealedSecret;

/**
 * Destinations that take every write and hold no key of their own: the one test double of {@link
 * SecretStoreActivities}, shared by the tests of every module (through the workflows test-jar). A
 * test extends it and overrides only the steps it is about.
 */
public class SecretStoreStandIn implements SecretStoreActivities {

  @Override
  public void checkDestination(Destination destination) {}

  @Override
  public CurrentKey readCurrentKey(Destination destination) {
    return null;
  }

  @Override
  public CurrentKey readCurrentProviderKey(Destination destination) {
    return null;
  }

  /** Version 2 written over version 1. */
  @Override
  public PublishReceipt publishTo(Destination destination, MintedKey key) {
    return new PublishReceipt(destination.describe(), 2, 1, true);
  }

  @Override
  public String restoreAt(Destination destination, MintedKey key) {
    return "restored.";
  }

  /** Version 2 written over version 1. */
  @Override
  public PublishReceipt publishSealed(
      Destination destination, KeyRef key, SealedSecret sealed, String workflowId, String label) {
    return new PublishReceipt(destination.describe(), 2, 1, true);
  }

  /** Version 3 written over version 2. */
  @Override
  public PublishReceipt putBackOldKey(
      Destination destination, KeyRef key, SealedSecret sealed, String workflowId, long gen) {
    return new PublishReceipt(destination.describe(), 3, 2, true);
  }
}
