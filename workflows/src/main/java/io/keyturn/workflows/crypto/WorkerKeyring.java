package io.keyturn.workflows.crypto;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.SealedSecret;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The worker's own keys, held by the worker and nobody else. Each worker key is 32 random bytes
 * (its seed) from which come, through HKDF-SHA256 under separate labels, (a) the HMAC key that
 * derives the value of every key the worker mints, and (b) an X25519 key pair whose public half the
 * CLI seals to and whose private half opens what was sealed. A key's id is the fingerprint of its
 * public half ({@link WorkerPublicKey#id()}).
 *
 * <p>One key is current: it seals what the worker seals itself and binds new derivations. Older
 * keys stay in the keyring so that rotations started under them (a derivation or sealed value names
 * its key id) still compute the same key and open the same values; they are retired when nothing
 * running needs them.
 *
 * <p>Loaded from the JSON file named by {@code KEYTURN_WORKER_KEYRING_FILE}, or the JSON itself in
 * {@code KEYTURN_WORKER_KEYRING} (for tests). Nothing of a seed is ever logged or returned; {@link
 * #toString()} shows key ids only.
 */
public final class WorkerKeyring {
  public static final String ENV = "KEYTURN_WORKER_KEYRING";
  public static final String ENV_FILE = "KEYTURN_WORKER_KEYRING_FILE";

  /** The {@code format} field of a keyring file. */
  public static final String FORMAT = "keyturn-worker-keyring-v1";

  private static final int SEED_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One worker key. */
  private record Key(String id, String created, byte[] seed, byte[] mint, byte[] priv, byte[] pub) {
    static Key of(byte[] seed, String created) {
      if (seed.length != SEED_BYTES) {
        throw new IllegalArgumentException(
            "a worker key seed is " + SEED_BYTES + " bytes, got " + seed.length);
      }
      byte[] mint = Hkdf.derive(new byte[0], seed, "keyturn-mint-v1", 32);
      byte[] priv = Hkdf.derive(new byte[0], seed, "keyturn-unseal-x25519-v1", 32);
      byte[] pub = X25519.publicOf(priv);
      return new Key(WorkerPublicKey.idOf(pub), created, seed.clone(), mint, priv, pub);
    }
  }

  private final Map<String, Key> keys;
  private final String current;

  private WorkerKeyring(List<Key> keys, String current) {
    Map<String, Key> byId = new LinkedHashMap<>();
    for (Key k : keys) {
      if (byId.put(k.id(), k) != null) {
        throw new IllegalArgumentException("the worker keyring holds key " + k.id() + " twice");
      }
    }
    if (!byId.containsKey(current)) {
      throw new IllegalArgumentException(
          "the worker keyring's current key "
              + current
              + " is not among its keys "
              + byId.keySet());
    }
    this.keys = byId;
    this.current = current;
  }

  /** A keyring of one fresh key. */
  public static WorkerKeyring generate() {
    Key k = fresh();
    return new WorkerKeyring(List.of(k), k.id());
  }

  /** This keyring with a fresh key added in front and made current; the older keys stay. */
  public WorkerKeyring rotate() {
    Key k = fresh();
    List<Key> all = new ArrayList<>();
    all.add(k);
    all.addAll(keys.values());
    return new WorkerKeyring(all, k.id());
  }

  /** This keyring without key {@code id}, which must not be the current one. */
  public WorkerKeyring retire(String id) {
    if (!keys.containsKey(id)) {
      throw new IllegalArgumentException(
          "the worker keyring has no key " + id + "; its keys are " + keys.keySet());
    }
    if (id.equals(current)) {
      throw new IllegalArgumentException(
          "key " + id + " is the current worker key: rotate first (keyturn keyring rotate)");
    }
    List<Key> rest = new ArrayList<>(keys.values());
    rest.removeIf(k -> k.id().equals(id));
    return new WorkerKeyring(rest, current);
  }

  private static Key fresh() {
    byte[] seed = new byte[SEED_BYTES];
    RANDOM.nextBytes(seed);
    return Key.of(seed, Instant.now().toString());
  }

  /** Parses the JSON form ({@link #toJson()}). */
  public static WorkerKeyring parse(String json) {
    JsonNode root;
    try {
      root = JSON.readTree(json);
    } catch (IOException e) {
      // Jackson's message may quote the input, which holds seeds: say where, not what.
      throw new IllegalArgumentException("the worker keyring is not valid JSON");
    }
    if (root == null || !FORMAT.equals(root.path("format").asText())) {
      throw new IllegalArgumentException(
          "the worker keyring has no \"format\": \""
              + FORMAT
              + "\"; make one with `keyturn keyring new --out FILE`");
    }
    List<Key> keys = new ArrayList<>();
    for (JsonNode k : root.path("keys")) {
      byte[] seed;
      try {
        seed = Base64.getDecoder().decode(k.path("seed").asText(""));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "worker key " + k.path("id").asText("(no id)") + ": its seed is not base64");
      }
      Key key = Key.of(seed, k.path("created").asText(null));
      String id = k.path("id").asText("");
      if (!id.equals(key.id())) {
        throw new IllegalArgumentException(
            "worker key '"
                + id
                + "' does not match its seed (whose key id is "
                + key.id()
                + "): the file was edited by hand or truncated");
      }
      keys.add(key);
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("the worker keyring holds no keys");
    }
    return new WorkerKeyring(keys, root.path("current").asText(""));
  }

  /** The JSON form, seeds included: it belongs in the worker's configuration only. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("format", FORMAT);
    root.put("current", current);
    ArrayNode list = root.putArray("keys");
    for (Key k : keys.values()) {
      ObjectNode n = list.addObject();
      n.put("id", k.id());
      if (k.created() != null) {
        n.put("created", k.created());
      }
      n.put("publicKey", WorkerPublicKey.PREFIX + Base64.getEncoder().encodeToString(k.pub()));
      n.put("seed", Base64.getEncoder().encodeToString(k.seed()));
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Loads from the environment: {@code KEYTURN_WORKER_KEYRING} (the JSON), else the file in {@code
   * KEYTURN_WORKER_KEYRING_FILE}. Throws with what to set when neither is there.
   */
  public static WorkerKeyring fromEnvironment(Map<String, String> env) {
    String value = env.get(ENV);
    if (value != null && !value.isBlank()) {
      return parse(value);
    }
    String file = env.get(ENV_FILE);
    if (file != null && !file.isBlank()) {
      String json = SecretFiles.read(Path.of(file), ENV_FILE);
      try {
        return parse(json);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(ENV_FILE + "=" + file + ": " + e.getMessage());
      }
    }
    throw new IllegalArgumentException(
        "no worker keyring: set "
            + ENV_FILE
            + " to the file `keyturn keyring new --out FILE` wrote (or "
            + ENV
            + " to its JSON). Only the worker holds it; give CLI users the public key it prints.");
  }

  /** The id of the current key. */
  public String currentKeyId() {
    return current;
  }

  /** Ids of every key held, current first. */
  public List<String> keyIds() {
    List<String> ids = new ArrayList<>();
    ids.add(current);
    keys.keySet().stream().filter(id -> !id.equals(current)).forEach(ids::add);
    return ids;
  }

  /** The public half of the current key: what CLI users pin. */
  public WorkerPublicKey currentPublicKey() {
    return new WorkerPublicKey(keys.get(current).pub());
  }

  /** The public halves of every key held, current first. */
  public List<WorkerPublicKey> publicKeys() {
    return keyIds().stream().map(id -> new WorkerPublicKey(keys.get(id).pub())).toList();
  }

  /** True when this keyring holds key {@code id}. */
  public boolean holds(String id) {
    return keys.containsKey(id);
  }

  /**
   * The derivation bound to the current key when it names none yet; otherwise unchanged. Mint calls
   * this once; the bound derivation travels on in the minted key.
   */
  public KeyDerivation bind(KeyDerivation d) {
    return d.keyId() == null ? d.withKeyId(current) : d;
  }

  /**
   * The derivation bound to each key held, current first: what a retried mint tries when the key
   * its first attempt made may have been derived under a key that was current then.
   */
  public List<KeyDerivation> bindings(KeyDerivation d) {
    return keyIds().stream().map(d::withKeyId).toList();
  }

  /**
   * The value of a minted key: {@code sk-} plus 43 url-safe characters of HMAC-SHA256 over the
   * derivation under the derivation key of the worker key it names. The same derivation always
   * gives the same key, which is what makes mint idempotent.
   */
  public String deriveKey(KeyDerivation d) {
    if (d.keyId() == null) {
      throw new IllegalStateException(
          "derivation of "
              + d.alias()
              + " names no worker key: mint binds it (WorkerKeyring.bind)");
    }
    Key k = key(d.keyId(), "the key " + d.alias() + " was derived under");
    String context = "mint|" + d.workflowId() + "|" + d.alias() + "|" + d.nonce();
    return "sk-"
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(Hkdf.hmac(k.mint(), context.getBytes(StandardCharsets.UTF_8)));
  }

  /** Seals to the current key (the worker sealing a value it read, for history). */
  public SealedSecret seal(String plaintext) {
    Key k = keys.get(current);
    return Sealing.seal(k.id(), k.pub(), plaintext);
  }

  /** Opens a value sealed to any key held; throws {@link IllegalArgumentException} otherwise. */
  public String open(SealedSecret sealed) {
    Objects.requireNonNull(sealed, "sealed");
    Key k = key(sealed.keyId(), "the value was sealed to");
    return Sealing.open(sealed, k.priv(), k.pub());
  }

  private Key key(String id, String what) {
    Key k = keys.get(id);
    if (k == null) {
      throw new IllegalArgumentException(
          what
              + " worker key "
              + id
              + ", which this worker's keyring (keys "
              + keyIds()
              + ") does not hold: put that key back in KEYTURN_WORKER_KEYRING_FILE (keys are"
              + " retired only when nothing running needs them), or, for a sealed value, seal it"
              + " again with the worker's current public key");
    }
    return k;
  }

  @Override
  public String toString() {
    return "WorkerKeyring[current=" + current + ", keys=" + keyIds() + "]";
  }
}
