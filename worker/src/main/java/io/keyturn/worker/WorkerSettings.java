package io.keyturn.worker;

import io.keyturn.workflows.client.TemporalConnection;
import io.keyturn.workflows.crypto.KeyturnSecret;
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
 * Vault token is picked up without a restart. {@link #validate()} names every missing setting at
 * once, before the worker polls anything.
 */
@Singleton
public class WorkerSettings {
  final String address;
  final String namespace;
  final String apiKey;
  final boolean tls;
  final String clientCert;
  final String clientKey;
  final String serverCa;
  final String serverName;
  final String taskQueue;
  final String managementKey;
  final String managementKeyFile;
  final Duration litellmTimeout;
  final String vaultAddress;
  final String vaultToken;
  final String vaultTokenFile;
  final String secret;
  final String secretFile;

  public WorkerSettings(
      @Value("${keyturn.temporal.address}") String address,
      @Value("${keyturn.temporal.namespace}") String namespace,
      @Value("${keyturn.temporal.api-key:}") String apiKey,
      @Value("${keyturn.temporal.tls:false}") boolean tls,
      @Value("${keyturn.temporal.tls-client-cert-path:}") String clientCert,
      @Value("${keyturn.temporal.tls-client-key-path:}") String clientKey,
      @Value("${keyturn.temporal.tls-server-ca-cert-path:}") String serverCa,
      @Value("${keyturn.temporal.tls-server-name:}") String serverName,
      @Value("${keyturn.temporal.task-queue}") String taskQueue,
      @Value("${keyturn.litellm.management-key:}") String managementKey,
      @Value("${keyturn.litellm.management-key-file:}") String managementKeyFile,
      @Value("${keyturn.litellm.timeout:20s}") Duration litellmTimeout,
      @Value("${keyturn.vault.address}") String vaultAddress,
      @Value("${keyturn.vault.token:}") String vaultToken,
      @Value("${keyturn.vault.token-file:}") String vaultTokenFile,
      @Value("${keyturn.secret:}") String secret,
      @Value("${keyturn.secret-file:}") String secretFile) {
    this.address = address;
    this.namespace = namespace;
    this.apiKey = apiKey;
    this.tls = tls;
    this.clientCert = clientCert;
    this.clientKey = clientKey;
    this.serverCa = serverCa;
    this.serverName = serverName;
    this.taskQueue = taskQueue;
    this.managementKey = managementKey;
    this.managementKeyFile = managementKeyFile;
    this.litellmTimeout = litellmTimeout;
    this.vaultAddress = vaultAddress;
    this.vaultToken = vaultToken;
    this.vaultTokenFile = vaultTokenFile;
    this.secret = secret;
    this.secretFile = secretFile;
  }

  /** Every problem with the settings, each naming the variable to set. Empty when all is well. */
  public List<String> validate() {
    List<String> problems = new ArrayList<>();
    if (blank(managementKey) && blank(managementKeyFile)) {
      problems.add("no LiteLLM management key: set LITELLM_MASTER_KEY or LITELLM_MASTER_KEY_FILE");
    } else if (!blank(managementKeyFile) && !Files.isReadable(Path.of(managementKeyFile))) {
      problems.add("LITELLM_MASTER_KEY_FILE=" + managementKeyFile + " is not a readable file");
    }
    if (blank(vaultToken) && blank(vaultTokenFile)) {
      problems.add("no Vault token: set VAULT_TOKEN or VAULT_TOKEN_FILE");
    } else if (!blank(vaultTokenFile) && !Files.isReadable(Path.of(vaultTokenFile))) {
      problems.add("VAULT_TOKEN_FILE=" + vaultTokenFile + " is not a readable file");
    }
    try {
      keyturnSecret();
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

  public TemporalConnection temporal() {
    return new TemporalConnection(
        address, namespace, apiKey, tls, clientCert, clientKey, serverCa, serverName);
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

  public KeyturnSecret keyturnSecret() {
    return KeyturnSecret.fromEnvironment(
        Map.of(KeyturnSecret.ENV, nz(secret), KeyturnSecret.ENV_FILE, nz(secretFile)));
  }

  public Supplier<String> managementKey() {
    return secretSource(managementKey, managementKeyFile);
  }

  public Supplier<String> vaultToken() {
    return secretSource(vaultToken, vaultTokenFile);
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
