package io.keyturn.workflows.testing;

import io.keyturn.workflows.LiteLlmActivities;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.KeyUse;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.SealedSecret;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A gateway on which every step works: the one test double of {@link LiteLlmActivities}, shared by
 * the tests of every module (through the workflows test-jar). A test extends it and overrides only
 * the steps it is about, so a new method on the interface is added here once.
 */
public class LiteLlmStandIn implements LiteLlmActivities {

  @Override
  public KeyPolicy importPolicy(String gatewayUrl, KeyRef key) {
    return new KeyPolicy(Map.of("models", List.of("gpt-4o-mini")));
  }

  /** A key whose fingerprint follows from the alias; no expiry. */
  @Override
  public MintedKey mintKey(MintRequest r) {
    KeyRef ref = KeyMaterial.ref("sk-fake-" + r.alias() + "-0123456789");
    return new MintedKey(ref, r.alias(), r.derivation(), null, false);
  }

  @Override
  public void verifyKey(String gatewayUrl, MintedKey key, KeyPolicy policy) {}

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

  /** The old key has been quiet for an hour: the drain gate lets the revoke through. */
  @Override
  public KeyUse keyUse(String gatewayUrl, KeyRef key, Duration window) {
    return new KeyUse(key, null, 3600, false);
  }

  @Override
  public void verifyManagementKey(String gatewayUrl, MintedKey key) {}

  @Override
  public KeyRef managementKeyInUse(String gatewayUrl) {
    return KeyMaterial.ref("sk-fake-management-key-0123456789");
  }
}
