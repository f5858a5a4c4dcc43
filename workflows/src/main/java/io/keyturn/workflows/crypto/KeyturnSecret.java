package io.keyturn.workflows.crypto;

import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.SealedSecret;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Keyturn's own secret: 32 random bytes shared by the worker and the starter. From it come three
 * independent sub-keys: one seals values that must cross the Temporal boundary (AES-256-GCM), one
 * derives the value of each minted key (HMAC-SHA256), so a retried mint computes the same key and
 * history never holds one, and one encrypts every payload Temporal stores ({@link
 * KeyturnPayloadCodec}). Loaded from {@code KEYTURN_SECRET} (base64) or the file named by {@code
 * KEYTURN_SECRET_FILE}.
 */
public final class KeyturnSecret {
  public static final String ENV = "KEYTURN_SECRET";
  public static final String ENV_FILE = "KEYTURN_SECRET_FILE";

  private static final int GCM_TAG_BITS = 128;
  private static final int NONCE_BYTES = 12;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] sealKey;
  private final byte[] mintKey;
  private final byte[] codecKey;
  private final String keyId;

  private KeyturnSecret(byte[] master) {
    if (master.length < 32) {
      throw new IllegalArgumentException(
          "the Keyturn secret must be at least 32 bytes (base64 of 32 random bytes); got "
              + master.length
              + ". Make one with: openssl rand -base64 32");
    }
    this.sealKey = hmac(master, "keyturn-seal-v1");
    this.mintKey = hmac(master, "keyturn-mint-v1");
    this.codecKey = hmac(master, "keyturn-codec-v1");
    this.keyId = HexFormat.of().formatHex(hmac(master, "keyturn-id-v1")).substring(0, 12);
  }

  /** Builds from base64 text. */
  public static KeyturnSecret fromBase64(String base64) {
    try {
      return new KeyturnSecret(Base64.getDecoder().decode(base64.trim()));
    } catch (IllegalArgumentException e) {
      if (e.getMessage() != null && e.getMessage().startsWith("the Keyturn secret")) {
        throw e;
      }
      throw new IllegalArgumentException("the Keyturn secret is not valid base64", e);
    }
  }

  /** A fresh random secret, base64. */
  public static String generateBase64() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  /**
   * Loads from the environment: {@code KEYTURN_SECRET}, else the file in {@code
   * KEYTURN_SECRET_FILE}. Throws with a message saying what to set when neither is there.
   */
  public static KeyturnSecret fromEnvironment(Map<String, String> env) {
    String value = env.get(ENV);
    if (value != null && !value.isBlank()) {
      return fromBase64(value);
    }
    String file = env.get(ENV_FILE);
    if (file != null && !file.isBlank()) {
      try {
        return fromBase64(Files.readString(Path.of(file), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read the Keyturn secret from " + ENV_FILE + "=" + file + ": " + e.getMessage());
      }
    }
    throw new IllegalArgumentException(
        "no Keyturn secret: set "
            + ENV
            + " (base64 of 32 random bytes, e.g. `openssl rand -base64 32`) or "
            + ENV_FILE
            + " to a file holding it; the worker and the starter must share it");
  }

  /** A non-secret id of this secret, so a mismatch between worker and starter can be named. */
  public String keyId() {
    return keyId;
  }

  /**
   * The payload codec's AES-256 key, derived under its own label so it is independent of the seal
   * and mint keys. Package-private: only {@link KeyturnPayloadCodec} uses it.
   */
  SecretKeySpec codecKey() {
    return new SecretKeySpec(codecKey, "AES");
  }

  /** Encrypts a value for history. */
  public SealedSecret seal(String plaintext) {
    try {
      byte[] nonce = new byte[NONCE_BYTES];
      RANDOM.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.ENCRYPT_MODE,
          new SecretKeySpec(sealKey, "AES"),
          new GCMParameterSpec(GCM_TAG_BITS, nonce));
      c.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
      byte[] ct = c.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
      ByteBuffer out = ByteBuffer.allocate(nonce.length + ct.length).put(nonce).put(ct);
      return new SealedSecret(keyId, Base64.getEncoder().encodeToString(out.array()));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("sealing failed", e);
    }
  }

  /**
   * Decrypts a sealed value; throws {@link IllegalArgumentException} if it was sealed elsewhere.
   */
  public String open(SealedSecret sealed) {
    if (!keyId.equals(sealed.keyId())) {
      throw new IllegalArgumentException(
          "value was sealed with Keyturn secret "
              + sealed.keyId()
              + " but this process holds "
              + keyId
              + ": give the worker and the starter the same KEYTURN_SECRET");
    }
    try {
      byte[] all = Base64.getDecoder().decode(sealed.ciphertext());
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(
          Cipher.DECRYPT_MODE,
          new SecretKeySpec(sealKey, "AES"),
          new GCMParameterSpec(GCM_TAG_BITS, all, 0, NONCE_BYTES));
      c.updateAAD(keyId.getBytes(StandardCharsets.UTF_8));
      return new String(
          c.doFinal(all, NONCE_BYTES, all.length - NONCE_BYTES), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "sealed value is corrupt or was sealed with another secret");
    }
  }

  /**
   * The value of a minted key: {@code sk-} plus 43 url-safe characters of HMAC-SHA256 over the
   * derivation. The same derivation always gives the same key, which is what makes mint idempotent.
   */
  public String deriveKey(KeyDerivation d) {
    String context = "mint|" + d.workflowId() + "|" + d.alias() + "|" + d.nonce();
    return "sk-" + Base64.getUrlEncoder().withoutPadding().encodeToString(hmac(mintKey, context));
  }

  private static byte[] hmac(byte[] key, String data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "KeyturnSecret[" + keyId + "]";
  }
}
