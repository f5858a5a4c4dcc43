package io.keyturn.starter.config;

import io.keyturn.workflows.crypto.SecretFiles;
import io.keyturn.workflows.model.Durations;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One rotating secret as declared in a configuration file: the LiteLLM key it manages, where the
 * new key is published, and when it is rotated.
 *
 * @param id the secret's id; schedules are {@code keyturn/<id>}, rotations {@code rotation/<id>/..}
 * @param file the file that declared it
 * @param gatewayUrl the LiteLLM proxy
 * @param managementKey where the management key is read (by the worker; by plan for its check)
 * @param currentKey the key applications use today, replaced by the first rotation; may be null
 *     when a destination already holds the current key
 * @param policy the new key's policy
 * @param destinations where the new key is published, in order; the first is the primary
 * @param schedule when the secret is rotated
 * @param grace how long the old key keeps working after the new one is published
 * @param verifyModels whether verify compares {@code /v1/models} with the policy's models
 * @param drain when the revoke waits for the old key's traffic to stop; null: the default
 * @param rotatesManagementKey {@code kind: management-key}: the key is the worker's own management
 *     key
 * @param operatorVirtualKey {@code <namespace>/<name>} of the LiteLLM operator's VirtualKey that
 *     manages the key (rotated through the operator: {@code keyturn rotate-operator}), or null
 */
public record SecretSpec(
    String id,
    String description,
    Path file,
    String gatewayUrl,
    KeySource managementKey,
    KeySource currentKey,
    Policy policy,
    List<Destination> destinations,
    Schedule schedule,
    Duration grace,
    boolean verifyModels,
    io.keyturn.workflows.model.DrainPolicy drain,
    boolean rotatesManagementKey,
    String operatorVirtualKey) {

  /** A secret the LiteLLM operator does not manage. */
  public SecretSpec(
      String id,
      String description,
      Path file,
      String gatewayUrl,
      KeySource managementKey,
      KeySource currentKey,
      Policy policy,
      List<Destination> destinations,
      Schedule schedule,
      Duration grace,
      boolean verifyModels) {
    this(
        id,
        description,
        file,
        gatewayUrl,
        managementKey,
        currentKey,
        policy,
        destinations,
        schedule,
        grace,
        verifyModels,
        null,
        false,
        null);
  }

  /** Where a key is read: an environment variable, a file, or (for keys) only its token hash. */
  public record KeySource(String env, Path file, String keyHash) {
    public String describe() {
      return env != null ? "$" + env : file != null ? file.toString() : "hash " + keyHash;
    }

    /**
     * The key's value from its environment variable or file, stripped: the one reader of a key
     * keyturn.yaml names. IllegalArgumentException says why it cannot be read, never the value.
     */
    public String read(Map<String, String> environment) {
      if (env != null) {
        String v = environment.get(env);
        if (v == null || v.isBlank()) {
          throw new IllegalArgumentException(
              "environment variable " + env + " is not set or empty");
        }
        return v.strip();
      }
      if (file == null) {
        throw new IllegalArgumentException(describe() + " names a key by its hash, not its value");
      }
      return SecretFiles.read(file, "the file");
    }
  }

  /**
   * The policy: {@code importFrom} null and {@code importCurrent} true copies the replaced key's
   * policy at each rotation; a template key is read when the schedule is applied; {@code fields}
   * are written out (and win over imported ones).
   */
  public record Policy(boolean importCurrent, KeySource importFrom, Map<String, Object> fields) {}

  /** A secret store destination: its type and settings as written. */
  public record Destination(String type, Map<String, Object> settings) {
    /** The settings as the store type reads them (the schema allows text and numbers). */
    public Map<String, String> stringSettings() {
      Map<String, String> out = new java.util.TreeMap<>();
      settings.forEach((k, v) -> out.put(k, v == null ? null : String.valueOf(v)));
      return out;
    }

    /** The destination a rotation request carries. */
    public io.keyturn.workflows.model.Destination toDestination() {
      return new io.keyturn.workflows.model.Destination(type, stringSettings());
    }

    /** Where it points, e.g. {@code vault-kv2 secret/litellm/svc-a#key}. */
    public String describe() {
      return toDestination().describe();
    }
  }

  /** Every {@code every}, or on {@code cron} in {@code timezone}; {@code jitter} spreads starts. */
  public record Schedule(
      Duration every, String cron, String timezone, Duration jitter, boolean paused) {
    public String describe() {
      return (every != null
              ? "every " + Durations.format(every)
              : "cron '" + cron + "' " + timezone)
          + (jitter.isZero() ? "" : ", jitter " + Durations.format(jitter))
          + (paused ? ", paused" : "");
    }
  }
}
