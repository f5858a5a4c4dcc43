package io.keyturn.workflows.crypto;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.crypto.spec.SecretKeySpec;

/**
 * The payload keys: symmetric keys shared by the worker, the CLI and the UI's codec endpoint, used
 * only by {@link KeyturnPayloadCodec} to keep Temporal's history ciphertext. They open history
 * payloads (references, fingerprints, policies, sealed values) but can neither open a sealed value
 * nor derive a key: those need the {@link WorkerKeyring}, which only the worker holds.
 *
 * <p>{@code KEYTURN_PAYLOAD_KEY} (or the file in {@code KEYTURN_PAYLOAD_KEY_FILE}) holds one or
 * more base64 keys of 32 random bytes, separated by commas or new lines. The first encrypts; all
 * decrypt, so a payload key can be rotated by putting the new one first and keeping the old one
 * until no history that is still read was written with it.
 */
public final class PayloadKeys {
  public static final String ENV = "KEYTURN_PAYLOAD_KEY";
  public static final String ENV_FILE = "KEYTURN_PAYLOAD_KEY_FILE";

  private static final SecureRandom RANDOM = new SecureRandom();

  private final Map<String, SecretKeySpec> byId;
  private final String current;

  private PayloadKeys(Map<String, SecretKeySpec> byId, String current) {
    this.byId = byId;
    this.current = current;
  }

  /** Parses one or more base64 keys (comma or line separated), the first current. */
  public static PayloadKeys parse(String text) {
    Map<String, SecretKeySpec> byId = new LinkedHashMap<>();
    String first = null;
    for (String part : text.split("[,\\s]+")) {
      if (part.isBlank()) {
        continue;
      }
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(part.strip());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the payload key is not valid base64");
      }
      if (raw.length < 32) {
        throw new IllegalArgumentException(
            "a payload key must be at least 32 bytes (base64 of 32 random bytes); got "
                + raw.length
                + ". Make one with: openssl rand -base64 32");
      }
      String id =
          HexFormat.of().formatHex(Hkdf.hmac(raw, bytes("keyturn-payload-key-id-v1")), 0, 6);
      byId.put(id, new SecretKeySpec(Hkdf.derive(new byte[0], raw, "keyturn-codec-v1", 32), "AES"));
      if (first == null) {
        first = id;
      }
    }
    if (first == null) {
      throw new IllegalArgumentException("the payload key is empty");
    }
    return new PayloadKeys(byId, first);
  }

  /** A fresh random key, base64. */
  public static String generateBase64() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getEncoder().encodeToString(b);
  }

  /**
   * Loads from the environment: {@code KEYTURN_PAYLOAD_KEY}, else the file in {@code
   * KEYTURN_PAYLOAD_KEY_FILE}. Throws with a message saying what to set when neither is there.
   */
  public static PayloadKeys fromEnvironment(Map<String, String> env) {
    String value = env.get(ENV);
    if (value != null && !value.isBlank()) {
      return parse(value);
    }
    String file = env.get(ENV_FILE);
    if (file != null && !file.isBlank()) {
      return parse(SecretFiles.read(Path.of(file), ENV_FILE));
    }
    throw new IllegalArgumentException(
        "no payload key: set "
            + ENV
            + " (base64 of 32 random bytes, e.g. `openssl rand -base64 32`) or "
            + ENV_FILE
            + " to a file holding it; the worker, the CLI and the codec endpoint share it");
  }

  /** The id of the key that encrypts: a non-secret fingerprint, so a mismatch can be named. */
  public String currentId() {
    return current;
  }

  /** Ids of every key held, current first. */
  public List<String> ids() {
    return new ArrayList<>(byId.keySet());
  }

  SecretKeySpec key(String id) {
    return byId.get(id);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "PayloadKeys" + ids();
  }
}
