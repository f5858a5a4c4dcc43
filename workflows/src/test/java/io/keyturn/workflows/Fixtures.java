package io.keyturn.workflows;

import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.RotationRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Canned values for workflow tests. The "keys" here are fake and only ever appear as hashes. */
final class Fixtures {
  private Fixtures() {}

  static final String GATEWAY = "http://127.0.0.1:4000";
  static final KeyRef OLD = KeyMaterial.ref("sk-test-old-key-aaaaaaaaaaaa");
  static final KeyRef NEW = KeyMaterial.ref("sk-test-new-key-bbbbbbbbbbbb");
  static final Destination VAULT = new Destination("vault-kv2", Map.of("name", "svc-a"));
  static final KeyPolicy POLICY =
      new KeyPolicy(Map.of("models", List.of("gpt-4o-mini"), "max_budget", 10.0));

  static RotationRequest request(Duration grace) {
    return request("svc-a", grace).generation(7).requestedBy("test").build();
  }

  /** A request for {@code secretId} replacing {@link #OLD}, published to {@link #VAULT}. */
  static RotationRequest.Builder request(String secretId, Duration grace) {
    return RotationRequest.builder(secretId)
        .gatewayUrl(GATEWAY)
        .oldKey(OLD)
        .destinations(VAULT)
        .gracePeriod(grace);
  }

  static MintedKey minted(boolean adopted) {
    return new MintedKey(
        NEW,
        "keyturn-svc-a-g7",
        new KeyDerivation("rotation/svc-a/7", "keyturn-svc-a-g7", "run"),
        null,
        adopted);
  }

  static PublishReceipt receipt() {
    return new PublishReceipt(VAULT.describe(), 2, 1, true);
  }

  static RevokeReceipt revoked() {
    return new RevokeReceipt(OLD, false, "key info 404");
  }
}
