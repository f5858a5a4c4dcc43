package io.keyturn.worker.config;

import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The worker's own keys ({@code keyturn.keys.*}), each given as a value or a file. See
 * docs/security.md.
 *
 * @param keyring KEYTURN_WORKER_KEYRING: the keyring's JSON ({@code keyturn keyring new})
 * @param keyringFile KEYTURN_WORKER_KEYRING_FILE
 * @param payloadKey KEYTURN_PAYLOAD_KEY: base64 of 32 random bytes, several comma separated (the
 *     first encrypts); shared with the CLI
 * @param payloadKeyFile KEYTURN_PAYLOAD_KEY_FILE
 */
@ConfigurationProperties("keyturn.keys")
public record KeySettings(
    @Nullable String keyring,
    @Nullable String keyringFile,
    @Nullable String payloadKey,
    @Nullable String payloadKeyFile) {

  /** Every problem with these settings, each naming the variable to set. Empty when all is well. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
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
    return problems;
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

  private static String nz(String s) {
    return s == null ? "" : s;
  }

  /** Says which settings are given, never a key. */
  @Override
  public String toString() {
    return "KeySettings[keyring="
        + Blank.mask(keyring)
        + ", keyringFile="
        + keyringFile
        + ", payloadKey="
        + Blank.mask(payloadKey)
        + ", payloadKeyFile="
        + payloadKeyFile
        + "]";
  }
}
