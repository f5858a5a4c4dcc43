package io.keyturn.workflows.crypto;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * HKDF-SHA256 (RFC 5869) built on the JDK's HmacSHA256: extract, then expand. Its two HMAC steps
 * are the only key arithmetic Keyturn writes itself; everything else is a JDK primitive.
 */
final class Hkdf {
  private static final int HASH_BYTES = 32;

  private Hkdf() {}

  /** {@code length} bytes of HKDF-SHA256 output for the given salt, input key and info label. */
  static byte[] derive(byte[] salt, byte[] ikm, String info, int length) {
    if (length < 1 || length > 255 * HASH_BYTES) {
      throw new IllegalArgumentException("HKDF length out of range: " + length);
    }
    byte[] prk = hmac(salt.length == 0 ? new byte[HASH_BYTES] : salt, ikm);
    byte[] infoBytes = info.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[length];
    byte[] t = new byte[0];
    int done = 0;
    for (int i = 1; done < length; i++) {
      byte[] block = new byte[t.length + infoBytes.length + 1];
      System.arraycopy(t, 0, block, 0, t.length);
      System.arraycopy(infoBytes, 0, block, t.length, infoBytes.length);
      block[block.length - 1] = (byte) i;
      t = hmac(prk, block);
      int n = Math.min(t.length, length - done);
      System.arraycopy(t, 0, out, done, n);
      done += n;
    }
    return out;
  }

  /** HMAC-SHA256 of {@code data} under {@code key}. */
  static byte[] hmac(byte[] key, byte[] data) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no HmacSHA256", e);
    }
  }
}
