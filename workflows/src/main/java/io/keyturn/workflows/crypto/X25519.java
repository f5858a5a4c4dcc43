package io.keyturn.workflows.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;

/**
 * The JDK's X25519 (XDH) with keys as their raw 32 bytes. Raw bytes travel in Keyturn's files and
 * sealed values; the JDK takes them wrapped in the fixed DER prefixes of RFC 8410.
 */
final class X25519 {
  static final int KEY_BYTES = 32;

  /** SubjectPublicKeyInfo for id-X25519 (1.3.101.110), followed by the 32 raw bytes. */
  private static final byte[] X509_PREFIX = {
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00
  };

  /** PKCS#8 PrivateKeyInfo for id-X25519, followed by the 32 raw bytes. */
  private static final byte[] PKCS8_PREFIX = {
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20
  };

  private X25519() {}

  static PublicKey publicKey(byte[] raw) {
    check(raw, "public");
    try {
      return KeyFactory.getInstance("X25519")
          .generatePublic(new X509EncodedKeySpec(concat(X509_PREFIX, raw)));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an X25519 public key: " + e.getMessage());
    }
  }

  static PrivateKey privateKey(byte[] raw) {
    check(raw, "private");
    try {
      return KeyFactory.getInstance("X25519")
          .generatePrivate(new PKCS8EncodedKeySpec(concat(PKCS8_PREFIX, raw)));
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not an X25519 private key: " + e.getMessage());
    }
  }

  /** The raw 32 bytes of a JDK X25519 public key (the end of its X.509 encoding). */
  static byte[] raw(PublicKey key) {
    byte[] der = key.getEncoded();
    return Arrays.copyOfRange(der, der.length - KEY_BYTES, der.length);
  }

  /** The public key of a raw private key, by agreeing with the base point u = 9. */
  static byte[] publicOf(byte[] rawPrivate) {
    byte[] base = new byte[KEY_BYTES];
    base[0] = 9;
    return agree(rawPrivate, base);
  }

  /** A fresh key pair. */
  static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance("X25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no X25519", e);
    }
  }

  /** The X25519 shared secret of a raw private key and a raw public key. */
  static byte[] agree(byte[] rawPrivate, byte[] rawPublic) {
    return agree(privateKey(rawPrivate), publicKey(rawPublic));
  }

  static byte[] agree(PrivateKey mine, PublicKey theirs) {
    try {
      KeyAgreement ka = KeyAgreement.getInstance("XDH");
      ka.init(mine);
      ka.doPhase(theirs, true);
      return ka.generateSecret();
    } catch (GeneralSecurityException e) {
      // An all-zero shared secret (a low-order public key) lands here too.
      throw new IllegalArgumentException("X25519 key agreement failed: " + e.getMessage());
    }
  }

  private static void check(byte[] raw, String what) {
    if (raw == null || raw.length != KEY_BYTES) {
      throw new IllegalArgumentException(
          "an X25519 "
              + what
              + " key is "
              + KEY_BYTES
              + " bytes, got "
              + (raw == null ? 0 : raw.length));
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
