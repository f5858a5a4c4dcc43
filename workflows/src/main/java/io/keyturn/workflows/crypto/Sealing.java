package io.keyturn.workflows.crypto;

import io.keyturn.workflows.model.SealedSecret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Sealing to a worker's X25519 public key: a fresh ephemeral key pair per value, the shared secret
 * through HKDF-SHA256 (salt: ephemeral and worker public keys; info: format and key id) into an
 * AES-256-GCM key, a random 12-byte nonce, the format and key id as associated data.
 */
final class Sealing {
  /** Names the construction in HKDF's info and in the AEAD's associated data. */
  static final String FORMAT = "keyturn-seal-x25519-v1";

  private static final int GCM_TAG_BITS = 128;
  private static final int NONCE_BYTES = 12;
  private static final SecureRandom RANDOM = new SecureRandom();

  private Sealing() {}

  static SealedSecret seal(String keyId, byte[] workerPublic, String plaintext) {
    KeyPair eph = X25519.generate();
    byte[] ephPublic = X25519.raw(eph.getPublic());
    byte[] shared = X25519.agree(eph.getPrivate(), X25519.publicKey(workerPublic));
    byte[] nonce = new byte[NONCE_BYTES];
    RANDOM.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.ENCRYPT_MODE,
          aesKey(shared, ephPublic, workerPublic, keyId),
          new GCMParameterSpec(GCM_TAG_BITS, nonce));
      c.updateAAD(aad(keyId));
      byte[] ct = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      Base64.Encoder b64 = Base64.getEncoder();
      return new SealedSecret(
          keyId, b64.encodeToString(ephPublic), b64.encodeToString(nonce), b64.encodeToString(ct));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("sealing failed: " + e.getClass().getSimpleName());
    } finally {
      Arrays.fill(shared, (byte) 0);
    }
  }

  /** Opens with the worker's raw private and public key; throws IllegalArgumentException. */
  static String open(SealedSecret s, byte[] workerPrivate, byte[] workerPublic) {
    if (s.ephemeralKey() == null || s.nonce() == null) {
      throw new IllegalArgumentException(
          "sealed value for worker key "
              + s.keyId()
              + " has no ephemeral key or nonce: it was not sealed to a worker public key ("
              + FORMAT
              + "); seal it again with this Keyturn");
    }
    byte[] shared = null;
    try {
      Base64.Decoder b64 = Base64.getDecoder();
      byte[] ephPublic = b64.decode(s.ephemeralKey());
      byte[] nonce = b64.decode(s.nonce());
      byte[] ct = b64.decode(s.ciphertext());
      shared = X25519.agree(workerPrivate, ephPublic);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.DECRYPT_MODE,
          aesKey(shared, ephPublic, workerPublic, s.keyId()),
          new GCMParameterSpec(GCM_TAG_BITS, nonce));
      c.updateAAD(aad(s.keyId()));
      return new String(c.doFinal(ct), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      // No cause: a tag error says nothing useful, and nothing of the value is shown.
      throw new IllegalArgumentException(
          "sealed value for worker key "
              + s.keyId()
              + " does not open with it: it was altered or corrupted after it was sealed");
    } finally {
      if (shared != null) {
        Arrays.fill(shared, (byte) 0);
      }
    }
  }

  private static SecretKeySpec aesKey(
      byte[] shared, byte[] ephPublic, byte[] workerPublic, String keyId) {
    byte[] salt = Arrays.copyOf(ephPublic, ephPublic.length + workerPublic.length);
    System.arraycopy(workerPublic, 0, salt, ephPublic.length, workerPublic.length);
    return new SecretKeySpec(Hkdf.derive(salt, shared, FORMAT + "|" + keyId, 32), "AES");
  }

  private static byte[] aad(String keyId) {
    return (FORMAT + "|" + keyId).getBytes(StandardCharsets.UTF_8);
  }
}
