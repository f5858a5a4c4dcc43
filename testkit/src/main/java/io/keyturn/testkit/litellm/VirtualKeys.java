package io.keyturn.testkit.litellm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * What the proxy does with a key's value: hash it for storage ({@code hash_token} in {@code
 * litellm/proxy/utils.py} of BerriAI/litellm), shorten it for display, mask it in messages, and
 * mint new ones.
 */
final class VirtualKeys {
  private VirtualKeys() {}

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A fresh key value, {@code sk-} and 22 URL-safe characters. */
  static String mint() {
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return "sk-" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  static String sha256(String raw) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code hash_token_if_needed}: an {@code sk-} value is hashed, anything else is a hash. */
  static String hashIfNeeded(String key) {
    return key.startsWith("sk-") ? sha256(key) : key;
  }

  /** The {@code key_name} column: {@code sk-...} and the last four characters. */
  static String keyName(String raw) {
    return "sk-..." + raw.substring(Math.max(0, raw.length() - 4));
  }

  /** LiteLLM's abbreviation in error messages: first four, stars, last four. */
  static String mask(String s) {
    if (s.length() <= 8) {
      return "****";
    }
    return s.substring(0, 4) + "****" + s.substring(s.length() - 4);
  }
}
