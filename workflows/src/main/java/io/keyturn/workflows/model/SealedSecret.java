package io.keyturn.workflows.model;

import java.util.Objects;

/**
 * A secret value encrypted with AES-256-GCM under the Keyturn sealing key, so it can cross the
 * Temporal boundary without appearing in history in plaintext. Only a worker or starter that holds
 * the same sealing key can open it. {@code keyId} names the sealing key (a fingerprint of it), so a
 * mismatch is reported as such rather than as a corrupt value.
 */
public record SealedSecret(String keyId, String ciphertext) {
  public SealedSecret {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(ciphertext, "ciphertext");
  }

  @Override
  public String toString() {
    return "SealedSecret[keyId=" + keyId + "]";
  }
}
