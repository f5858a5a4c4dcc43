package io.keyturn.workflows.model;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Identifies a LiteLLM virtual key without carrying its value: the proxy's token hash (lowercase
 * hex SHA-256 of the whole raw key) and a display fingerprint ({@code sk-…Ab12}, LiteLLM's own
 * {@code key_name} form). Safe to put in workflow history, logs and CLI output.
 */
public record KeyRef(String tokenHash, String keyName) {
  private static final Pattern HASH = Pattern.compile("[0-9a-f]{64}");

  public KeyRef {
    Objects.requireNonNull(tokenHash, "tokenHash");
    if (!HASH.matcher(tokenHash).matches()) {
      throw new IllegalArgumentException(
          "tokenHash must be 64 lowercase hex characters (the sha256 LiteLLM calls 'token')");
    }
    if (keyName == null || keyName.isBlank()) {
      keyName = "sk-…?";
    }
  }

  /** A short human fingerprint: the key name plus the first 8 hex digits of its hash. */
  public String fingerprint() {
    return keyName + " " + shortHash(tokenHash);
  }

  /**
   * How a token hash is shown to people, here and by every store's log lines: {@code #} and its
   * first 8 hex digits; {@code (none)} for no hash. Stores keep the whole hash in their metadata,
   * which is what LiteLLM calls the key's {@code token}.
   */
  public static String shortHash(String tokenHash) {
    if (tokenHash == null || tokenHash.isEmpty()) {
      return "(none)";
    }
    return "#" + tokenHash.substring(0, Math.min(8, tokenHash.length()));
  }

  @Override
  public String toString() {
    return fingerprint();
  }
}
