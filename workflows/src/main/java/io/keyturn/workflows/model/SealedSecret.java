package io.keyturn.workflows.model;

import java.util.Objects;

/**
 * A secret value sealed to one worker key, so it can cross the Temporal boundary without appearing
 * in history in plaintext: X25519 between a fresh ephemeral key and the worker's public key,
 * HKDF-SHA256, then AES-256-GCM. Anyone with the worker's public key (the CLI) can seal; only the
 * worker, which holds the private key, can open. {@code keyId} names the worker key it was sealed
 * to, so the worker picks that key from its keyring, and a value sealed to a key it no longer holds
 * is reported as such rather than as a corrupt value.
 *
 * <p>{@code ephemeralKey}, {@code nonce} and {@code ciphertext} are base64. The first two are
 * checked when the value is opened, not here, so histories recorded before they existed still
 * deserialize for replay.
 */
public record SealedSecret(String keyId, String ephemeralKey, String nonce, String ciphertext) {
  public SealedSecret {
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(ciphertext, "ciphertext");
  }

  @Override
  public String toString() {
    return "SealedSecret[keyId=" + keyId + "]";
  }
}
