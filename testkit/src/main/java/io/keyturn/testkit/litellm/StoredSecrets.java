package io.keyturn.testkit.litellm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The proxy's encryption keys and the values its database holds encrypted (stored models' {@code
 * litellm_params}, the credentials table), as far as a master-key rotation can see them.
 *
 * <p>As in LiteLLM's {@code encrypt_decrypt_utils.py}: values are encrypted and decrypted with
 * {@code LITELLM_SALT_KEY} when it is set, else with the running master key. {@code
 * /key/regenerate} with {@code new_master_key} ({@code rotate_master_key}) decrypts each value with
 * that key and encrypts it with the new master key; it does not change the running master key. A
 * value that does not decrypt is re-encrypted as it is (LiteLLM keeps the ciphertext as the value),
 * so it stays unreadable under every key. The running master key changes only when the process
 * restarts: the emulator's stand-in for that is {@link #restart()}, which reads the master key
 * again from where the deployment keeps it ({@code masterKeySource}).
 *
 * <p>The emulator models a value only by the key it is encrypted under (a SHA-256 of that key),
 * never by a plaintext.
 */
final class StoredSecrets {
  /** What a stored value is encrypted under when it is no key's ciphertext any more. */
  static final String GARBLED = "garbled";

  /** One encrypted value: a stored model's params or a credential's values. */
  static final class Value {
    final String kind;
    final String name;
    final String id;
    volatile String under;

    /** A deployment added by {@code /model/new}: what it calls (null for seeded models). */
    volatile String litellmModel;

    volatile String apiBase;

    /** The provider key the deployment calls with (LiteLLM keeps it encrypted in its table). */
    volatile String apiKey;

    /** The deployment's {@code model_info} as given (besides {@code id} and {@code db_model}). */
    volatile Map<String, Object> info = Map.of();

    /**
     * A Bedrock deployment's stored AWS credentials ({@code aws_access_key_id}, {@code
     * aws_secret_access_key}, {@code aws_region_name}); empty for others.
     */
    volatile Map<String, String> aws = Map.of();

    /** Whether it is a Bedrock deployment calling with a stored access key. */
    boolean bedrock() {
      return aws.containsKey("aws_access_key_id");
    }

    Value(String kind, String name, String id, String under) {
      this.kind = kind;
      this.name = name;
      this.id = id;
      this.under = under;
    }

    /** Whether it calls a real (emulated) upstream with its key. */
    boolean callsUpstream() {
      return apiBase != null || bedrock();
    }
  }

  /** Where Bedrock deployments' access keys are checked (STS; {@code BedrockStandIn}). */
  volatile String bedrockSts;

  private volatile String runningMaster;
  private final String saltKey;
  private final Supplier<String> masterKeySource;
  private final Map<String, Value> values = new LinkedHashMap<>();
  private final Set<String> sickAfterRestart = ConcurrentHashMap.newKeySet();
  private final Set<String> sick = ConcurrentHashMap.newKeySet();
  private int restarts;

  /** Model names of deployments from config.yaml (not stored; {@code db_model: false}). */
  private volatile List<String> configModels = List.of();

  void configModels(List<String> names) {
    configModels = List.copyOf(names);
  }

  List<String> configModels() {
    return configModels;
  }

  StoredSecrets(
      String masterKey,
      String saltKey,
      Supplier<String> masterKeySource,
      List<String> models,
      List<String> credentials) {
    this.runningMaster = Objects.requireNonNull(masterKey);
    this.saltKey = saltKey;
    this.masterKeySource = masterKeySource;
    int n = 0;
    for (String m : models) {
      String id = "db-model-" + (++n);
      values.put("model:" + id, new Value("model", m, id, fingerprint(encryptionKey())));
    }
    for (String c : credentials) {
      values.put("credential:" + c, new Value("credential", c, c, fingerprint(encryptionKey())));
    }
  }

  /** How an {@code os.environ/NAME} api_key becomes a key; none: the value as stored. */
  private volatile java.util.function.Function<String, String> keyResolver = k -> k;

  void resolveKeysWith(java.util.function.Function<String, String> resolver) {
    this.keyResolver = resolver;
  }

  /** The key a request through deployment {@code v} goes out with now. */
  String apiKey(Value v) {
    return keyResolver.apply(v.apiKey);
  }

  /** The master key the running process authenticates with. */
  String runningMaster() {
    return runningMaster;
  }

  boolean salted() {
    return saltKey != null;
  }

  /** {@code get_salt_key()}: the salt key when set, else the running master key. */
  String encryptionKey() {
    return saltKey != null ? saltKey : runningMaster;
  }

  synchronized List<Value> all(String kind) {
    return values.values().stream().filter(v -> v.kind.equals(kind)).toList();
  }

  /** {@code /model/new}: a stored deployment; false when the id is taken (a unique-key error). */
  synchronized boolean addDeployment(
      String id,
      String modelName,
      String litellmModel,
      String apiBase,
      String apiKey,
      Map<String, Object> info,
      Map<String, String> aws) {
    if (values.containsKey("model:" + id)) {
      return false;
    }
    Value v = new Value("model", modelName, id, fingerprint(encryptionKey()));
    v.litellmModel = litellmModel;
    v.apiBase = apiBase;
    v.apiKey = apiKey;
    v.info = Map.copyOf(info);
    v.aws = Map.copyOf(aws);
    values.put("model:" + id, v);
    return true;
  }

  /** {@code /model/delete}: false when no stored model has this id. */
  synchronized boolean deleteModel(String id) {
    return values.remove("model:" + id) != null;
  }

  synchronized Value model(String id) {
    return values.get("model:" + id);
  }

  /** The stored deployments of one model group, oldest first. */
  synchronized List<Value> group(String modelName) {
    return values.values().stream()
        .filter(v -> v.kind.equals("model") && v.name.equals(modelName))
        .toList();
  }

  /** Whether the running process can decrypt {@code v}. */
  boolean readable(Value v) {
    return v.under.equals(fingerprint(encryptionKey()));
  }

  /** {@code rotate_master_key}: every value from the current encryption key to {@code newKey}. */
  synchronized void reencrypt(String newKey) {
    String to = fingerprint(newKey);
    for (Value v : values.values()) {
      v.under = readable(v) ? to : GARBLED;
    }
  }

  /**
   * The process restarts: the master key is read again from {@code masterKeySource}. Returns null,
   * or why the restart failed (the process then keeps its old key, as a replica that never came up
   * leaves the old one serving).
   */
  synchronized String restart() {
    if (masterKeySource == null) {
      return "this emulator has no master-key source to read at restart";
    }
    String next;
    try {
      next = masterKeySource.get();
    } catch (RuntimeException e) {
      return "reading the master key failed: " + e.getMessage();
    }
    if (next == null || !next.startsWith("sk-")) {
      return "the master key source holds no sk- key";
    }
    runningMaster = next.strip();
    restarts++;
    sick.clear();
    sick.addAll(sickAfterRestart);
    sickAfterRestart.clear();
    return null;
  }

  synchronized int restarts() {
    return restarts;
  }

  /**
   * A test's fault: the stored model {@code name} fails its health check from the next restart
   * until the one after it (a provider outage, say), though its params decrypt.
   */
  void sickAfterNextRestart(String name) {
    sickAfterRestart.add(name);
  }

  /** Whether the model answers its health check: its params decrypt and it is not made sick. */
  boolean healthy(Value v) {
    return readable(v) && !sick.contains(v.name);
  }

  /** Names of stored values the running process cannot decrypt. */
  synchronized List<String> unreadable() {
    List<String> out = new ArrayList<>();
    for (Value v : values.values()) {
      if (!readable(v)) {
        out.add(v.kind + ":" + v.name);
      }
    }
    return out;
  }

  static String fingerprint(String key) {
    return VirtualKeys.sha256(key);
  }
}
