package io.keyturn.worker.observe;

import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.KeyUse;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.testing.LiteLlmStandIn;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/** Canned activities: every secret rotates fine except "svc-bad", whose new key fails verify. */
final class FakeActivities {
  private FakeActivities() {}

  static final String EXPIRES = "2030-06-01T00:00:00Z";
  static final String FAILING_SECRET = "svc-bad";

  /** Its old key is still in use when grace ends, and quiet at the first recheck. */
  static final String HELD_SECRET = "svc-held";

  static final class Gateway extends LiteLlmStandIn {
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

    private final AtomicInteger uses = new AtomicInteger();

    @Override
    public KeyUse keyUse(String gatewayUrl, KeyRef key, Duration window) {
      boolean held =
          key.fingerprint().equals(heldKey().fingerprint()) && uses.getAndIncrement() == 0;
      return new KeyUse(key, EXPIRES, held ? 5 : 3600, held);
    }
  }

  static KeyRef heldKey() {
    return KeyMaterial.ref("sk-fake-old-" + HELD_SECRET + "-0123456789");
  }
}
