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
    return keyName + " #" + tokenHash.substring(0, 8);
  }

  @Override
  public String toString() {
    return fingerprint();
  }
}
