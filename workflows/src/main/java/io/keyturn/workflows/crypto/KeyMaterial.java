package io.keyturn.workflows.crypto;

import io.keyturn.workflows.model.KeyRef;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** LiteLLM's key arithmetic: token hashes and display names. Never logs or returns a raw value. */
public final class KeyMaterial {
  private KeyMaterial() {}

  /** Lowercase hex SHA-256 of the whole raw key, {@code sk-} included: LiteLLM's "token". */
  public static String tokenHash(String rawKey) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(rawKey.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** LiteLLM's {@code key_name}: {@code sk-...} plus the last four characters. */
  public static String keyName(String rawKey) {
    return "sk-..." + rawKey.substring(Math.max(0, rawKey.length() - 4));
  }

  /** A reference to a raw key: its hash and its display name. */
  public static KeyRef ref(String rawKey) {
    return new KeyRef(tokenHash(rawKey), keyName(rawKey));
  }

  /**
   * True when the string looks like a LiteLLM virtual key ({@code sk-} and url-safe characters).
   */
  public static boolean looksLikeKey(String s) {
    return s != null && s.matches("sk-[A-Za-z0-9_-]{8,200}");
  }
}
