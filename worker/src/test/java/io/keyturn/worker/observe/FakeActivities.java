package io.keyturn.worker.observe;

import io.keyturn.workflows.LiteLlmActivities;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.SecretStoreActivities;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Map;

/** Canned activities: every secret rotates fine except "svc-bad", whose new key fails verify. */
final class FakeActivities {
  private FakeActivities() {}

  static final String EXPIRES = "2030-06-01T00:00:00Z";
  static final String FAILING_SECRET = "svc-bad";

  /** Its old key is still in use when grace ends, and quiet at the first recheck. */
  static final String HELD_SECRET = "svc-held";

  static final class Gateway implements LiteLlmActivities {
    @Override
    public KeyPolicy importPolicy(String gatewayUrl, KeyRef key) {
      return new KeyPolicy(Map.of("models", List.of("gpt-4o-mini")));
    }

    @Override
    public MintedKey mintKey(MintRequest r) {
      KeyRef ref = KeyMaterial.ref("sk-fake-" + r.alias() + "-0123456789");
      return new MintedKey(ref, r.alias(), r.derivation(), EXPIRES, false);
    }

    @Override
    public void verifyKey(String gatewayUrl, MintedKey key, KeyPolicy policy) {
      if (key.alias().contains(FAILING_SECRET)) {
        throw ApplicationFailure.newNonRetryableFailure(
            "new key " + key.ref().fingerprint() + " refused", RotationFailures.VERIFY_FAILED);
      }
    }

    @Override
    public boolean deleteKey(String gatewayUrl, KeyRef key) {
      return true;
    }

    @Override
    public boolean discardDerivedKey(MintRequest request) {
      return true;
    }

    @Override
    public RevokeReceipt confirmRevoked(
        String gatewayUrl, KeyRef oldKey, SealedSecret sealed, boolean deletedByThisRotation) {
      return new RevokeReceipt(oldKey, !deletedByThisRotation, "key info 404");
    }

    @Override
    public boolean blockKey(String gatewayUrl, KeyRef key) {
      return true;
    }

    @Override
    public void confirmUsable(String gatewayUrl, KeyRef key, SealedSecret sealed) {}

    private final java.util.concurrent.atomic.AtomicInteger uses =
        new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public io.keyturn.workflows.model.KeyUse keyUse(
        String gatewayUrl, KeyRef key, java.time.Duration window) {
      boolean held =
          key.fingerprint().equals(heldKey().fingerprint()) && uses.getAndIncrement() == 0;
      return new io.keyturn.workflows.model.KeyUse(key, EXPIRES, held ? 5 : 3600, held);
    }

    @Override
    public void verifyManagementKey(String gatewayUrl, MintedKey key) {}

    @Override
    public KeyRef managementKeyInUse(String gatewayUrl) {
      return KeyMaterial.ref("sk-fake-management-key-0123456789");
    }
  }

  static KeyRef heldKey() {
    return KeyMaterial.ref("sk-fake-old-" + HELD_SECRET + "-0123456789");
  }

  static final class Store implements SecretStoreActivities {
    @Override
    public void checkDestination(Destination destination) {}

    @Override
    public CurrentKey readCurrentKey(Destination destination) {
      return null;
    }

    @Override
    public PublishReceipt publishTo(Destination destination, MintedKey key) {
      return new PublishReceipt(destination.describe(), 2, 1, true);
    }

    @Override
    public String restoreAt(Destination destination, MintedKey key) {
      return "restored.";
    }

    @Override
    public PublishReceipt putBackOldKey(
        Destination destination, KeyRef key, SealedSecret sealed, String workflowId, long gen) {
      return new PublishReceipt(destination.describe(), 3, 2, true);
    }
  }
}
