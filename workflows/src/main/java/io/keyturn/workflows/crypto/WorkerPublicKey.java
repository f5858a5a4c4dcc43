package io.keyturn.workflows.crypto;

import io.keyturn.workflows.model.SealedSecret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;

/**
 * The public half of one worker key: what the CLI holds (its "pin") to seal values for the worker.
 * It can seal, never open, and derives nothing. Its text form is {@code x25519:<base64 of the raw
 * 32 bytes>}; its id is a fingerprint of those bytes, so a keyring entry and a pin name the same
 * key the same way. Loaded from {@code KEYTURN_WORKER_PUBLIC_KEY} (the text) or the file named by
 * {@code KEYTURN_WORKER_PUBLIC_KEY_FILE}.
 */
public final class WorkerPublicKey {
  public static final String ENV = "KEYTURN_WORKER_PUBLIC_KEY";
  public static final String ENV_FILE = "KEYTURN_WORKER_PUBLIC_KEY_FILE";

  /** The prefix of the text form. */
  public static final String PREFIX = "x25519:";

  private final byte[] raw;
  private final String id;

  WorkerPublicKey(byte[] raw) {
    if (raw.length != X25519.KEY_BYTES) {
      throw new IllegalArgumentException(
          "a worker public key is " + X25519.KEY_BYTES + " bytes, got " + raw.length);
    }
    this.raw = raw.clone();
    this.id = idOf(raw);
  }

  /** Parses the text form; {@code #} comment lines and blank lines are skipped. */
  public static WorkerPublicKey parse(String text) {
    String line =
        text.lines()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .findFirst()
            .orElse("");
    if (!line.startsWith(PREFIX)) {
      throw new IllegalArgumentException(
          "a worker public key reads "
              + PREFIX
              + "<base64>, as `keyturn keyring new` or `keyturn keyring public` printed it");
    }
    try {
      return new WorkerPublicKey(Base64.getDecoder().decode(line.substring(PREFIX.length())));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "the worker public key is not " + PREFIX + "<base64 of 32 bytes>: " + e.getMessage());
    }
  }

  /**
   * Loads the pin from the environment: {@code KEYTURN_WORKER_PUBLIC_KEY}, else the file in {@code
   * KEYTURN_WORKER_PUBLIC_KEY_FILE}. Throws with what to set when neither is there.
   */
  public static WorkerPublicKey fromEnvironment(Map<String, String> env) {
    String value = env.get(ENV);
    if (value != null && !value.isBlank()) {
      return parse(value);
    }
    String file = env.get(ENV_FILE);
    if (file != null && !file.isBlank()) {
      try {
        return parse(Files.readString(Path.of(file), StandardCharsets.UTF_8));
      } catch (IOException e) {
        throw new IllegalArgumentException(
            "cannot read the worker public key from " + ENV_FILE + "=" + file + ": " + e);
      }
    }
    throw new IllegalArgumentException(
        "no worker public key: set "
            + ENV
            + " (x25519:..., printed by `keyturn keyring public --file <worker keyring>`) or "
            + ENV_FILE
            + " to a file holding it");
  }

  /** True when the environment names a worker public key (value or file). */
  public static boolean configured(Map<String, String> env) {
    return !env.getOrDefault(ENV, "").isBlank() || !env.getOrDefault(ENV_FILE, "").isBlank();
  }

  /** The key id: the first 16 hex digits of SHA-256 over the raw public key. */
  public String id() {
    return id;
  }

  /** The text form, {@code x25519:<base64>}. */
  public String text() {
    return PREFIX + Base64.getEncoder().encodeToString(raw);
  }

  byte[] raw() {
    return raw.clone();
  }

  /** Seals a value so that only the worker holding this key's private half can open it. */
  public SealedSecret seal(String plaintext) {
    return Sealing.seal(id, raw, plaintext);
  }

  static String idOf(byte[] rawPublic) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(rawPublic);
      return HexFormat.of().formatHex(h, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WorkerPublicKey k && Arrays.equals(raw, k.raw);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(raw);
  }

  @Override
  public String toString() {
    return "WorkerPublicKey[" + id + "]";
  }
}
