package io.keyturn.worker;

import io.keyturn.activities.vault.VaultAuth;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.workflows.client.TemporalConnection;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The worker's settings, from application.yml and the environment variables it names. Secrets are
 * given as a value or as a file; a file is re-read on each use, so a rotated management key or
 * Vault token or AppRole secret id is picked up without a restart. Vault takes at most one method:
 * a token, or an AppRole role id and secret id; none at all is fine for a worker that publishes to
 * no Vault. {@link #validate()} names every missing setting at once, before the worker polls
 * anything.
 */
@Singleton
public class WorkerSettings {
  final String taskQueue;
  final String managementKey;
  final String managementKeyFile;
  final Duration litellmTimeout;
  final String vaultAddress;
  final String vaultToken;
  final String vaultTokenFile;
  final String vaultRoleId;
  final String vaultRoleIdFile;
  final String vaultSecretId;
  final String vaultSecretIdFile;
  final String vaultAppRoleMount;
  final String vaultNamespace;
  final String keyring;
  final String keyringFile;
  final String payloadKey;
  final String payloadKeyFile;

  public WorkerSettings(
      @Value("${keyturn.temporal.task-queue}") String taskQueue,
      @Value("${keyturn.litellm.management-key:}") String managementKey,
      @Value("${keyturn.litellm.management-key-file:}") String managementKeyFile,
      @Value("${keyturn.litellm.timeout:20s}") Duration litellmTimeout,
      @Value("${keyturn.vault.address}") String vaultAddress,
      @Value("${keyturn.vault.token:}") String vaultToken,
      @Value("${keyturn.vault.token-file:}") String vaultTokenFile,
      @Value("${keyturn.vault.approle.role-id:}") String vaultRoleId,
      @Value("${keyturn.vault.approle.role-id-file:}") String vaultRoleIdFile,
      @Value("${keyturn.vault.approle.secret-id:}") String vaultSecretId,
      @Value("${keyturn.vault.approle.secret-id-file:}") String vaultSecretIdFile,
      @Value("${keyturn.vault.approle.mount:approle}") String vaultAppRoleMount,
      @Value("${keyturn.vault.namespace:}") String vaultNamespace,
      @Value("${keyturn.worker-keyring:}") String keyring,
      @Value("${keyturn.worker-keyring-file:}") String keyringFile,
      @Value("${keyturn.payload-key:}") String payloadKey,
      @Value("${keyturn.payload-key-file:}") String payloadKeyFile) {
    this.taskQueue = taskQueue;
    this.managementKey = managementKey;
    this.managementKeyFile = managementKeyFile;
    this.litellmTimeout = litellmTimeout;
    this.vaultAddress = vaultAddress;
    this.vaultToken = vaultToken;
    this.vaultTokenFile = vaultTokenFile;
    this.vaultRoleId = vaultRoleId;
    this.vaultRoleIdFile = vaultRoleIdFile;
    this.vaultSecretId = vaultSecretId;
    this.vaultSecretIdFile = vaultSecretIdFile;
    this.vaultAppRoleMount = vaultAppRoleMount;
    this.vaultNamespace = vaultNamespace;
    this.keyring = keyring;
    this.keyringFile = keyringFile;
    this.payloadKey = payloadKey;
    this.payloadKeyFile = payloadKeyFile;
  }

  /** Every problem with the settings, each naming the variable to set. Empty when all is well. */
  public List<String> validate() {
    List<String> problems = new ArrayList<>();
    if (blank(managementKey) && blank(managementKeyFile)) {
      problems.add("no LiteLLM management key: set LITELLM_MASTER_KEY or LITELLM_MASTER_KEY_FILE");
    } else if (!blank(managementKeyFile) && !Files.isReadable(Path.of(managementKeyFile))) {
      problems.add("LITELLM_MASTER_KEY_FILE=" + managementKeyFile + " is not a readable file");
    }
    vaultAuthProblems(problems);
    try {
      workerKeyring();
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    try {
      payloadKeys();
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    try {
      temporal();
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    return problems;
  }

  private void vaultAuthProblems(List<String> problems) {
    boolean token = !blank(vaultToken) || !blank(vaultTokenFile);
    boolean appRole =
        !blank(vaultRoleId)
            || !blank(vaultRoleIdFile)
            || !blank(vaultSecretId)
            || !blank(vaultSecretIdFile);
    if (token && appRole) {
      problems.add(
          "two Vault auth methods: set either VAULT_TOKEN (or VAULT_TOKEN_FILE) or AppRole's"
              + " VAULT_ROLE_ID and VAULT_SECRET_ID (or their _FILE forms), not both");
      return;
    }
    if (!token && !appRole) {
      // A worker that publishes to no Vault needs no credentials; a vault-kv2 destination on it
      // fails its check (before minting) naming these variables (VaultAuth.missing()).
      return;
    }
    if (token) {
      oneSecret(problems, "VAULT_TOKEN", vaultToken, vaultTokenFile, false);
      return;
    }
    oneSecret(problems, "VAULT_ROLE_ID", vaultRoleId, vaultRoleIdFile, true);
    oneSecret(problems, "VAULT_SECRET_ID", vaultSecretId, vaultSecretIdFile, true);
    try {
      VaultAuth.checkAppRoleMount(vaultAppRoleMount);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
  }

  /** A secret given as {@code NAME} or {@code NAME_FILE}: present, not twice, file readable. */
  private static void oneSecret(
      List<String> problems, String name, String value, String file, boolean exactlyOne) {
    if (blank(value) && blank(file)) {
      problems.add("AppRole needs " + name + " or " + name + "_FILE");
    } else if (exactlyOne && !blank(value) && !blank(file)) {
      problems.add(name + " and " + name + "_FILE are both set: set one");
    } else if (!blank(file) && !Files.isReadable(Path.of(file))) {
      problems.add(name + "_FILE=" + file + " is not a readable file");
    }
  }

  /**
   * Where Temporal is: Temporal's own client configuration (the TEMPORAL_* variables and the
   * temporal.toml profile they name), read from the environment as the CLI reads it.
   */
  public TemporalConnection temporal() {
    return TemporalConnection.fromEnvironment(System.getenv());
  }

  public String taskQueue() {
    return taskQueue;
  }

  public Duration litellmTimeout() {
    return litellmTimeout;
  }

  public String vaultAddress() {
    return vaultAddress;
  }

  /** The worker's keyring: derivation and unsealing keys, held by the worker only. */
  public WorkerKeyring workerKeyring() {
    return WorkerKeyring.fromEnvironment(
        Map.of(WorkerKeyring.ENV, nz(keyring), WorkerKeyring.ENV_FILE, nz(keyringFile)));
  }

  /** The payload keys the worker shares with the CLI and the codec endpoint. */
  public PayloadKeys payloadKeys() {
    return PayloadKeys.fromEnvironment(
        Map.of(PayloadKeys.ENV, nz(payloadKey), PayloadKeys.ENV_FILE, nz(payloadKeyFile)));
  }

  public Supplier<String> managementKey() {
    return secretSource(managementKey, managementKeyFile);
  }

  public Supplier<String> vaultToken() {
    return secretSource(vaultToken, vaultTokenFile);
  }

  /** True when the worker logs in with AppRole rather than a given token. */
  public boolean vaultUsesAppRole() {
    return blank(vaultToken) && blank(vaultTokenFile) && !vaultMissing();
  }

  /** True when the worker was given no Vault credentials at all. */
  public boolean vaultMissing() {
    return blank(vaultToken)
        && blank(vaultTokenFile)
        && blank(vaultRoleId)
        && blank(vaultRoleIdFile)
        && blank(vaultSecretId)
        && blank(vaultSecretIdFile);
  }

  /**
   * How the worker authenticates to Vault: the given token, or an AppRole login whose role id and
   * secret id (and their files) are read at each login, or none ({@link VaultAuth#missing()}).
   */
  public VaultAuth vaultAuth(JsonHttp http) {
    if (vaultMissing()) {
      return VaultAuth.missing();
    }
    if (!vaultUsesAppRole()) {
      return VaultAuth.token(vaultToken());
    }
    return VaultAuth.appRole(
        http,
        vaultAddress,
        vaultAppRoleMount,
        vaultNamespace,
        secretSource(vaultRoleId, vaultRoleIdFile),
        secretSource(vaultSecretId, vaultSecretIdFile));
  }

  private static Supplier<String> secretSource(String value, String file) {
    if (!blank(value)) {
      return () -> value;
    }
    return () -> {
      if (blank(file)) {
        return null;
      }
      try {
        return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new IllegalStateException("cannot read secret file " + file + ": " + e.getMessage());
      }
    };
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  private static String nz(String s) {
    return s == null ? "" : s;
  }
}
