package io.keyturn.starter.config;

import com.fasterxml.jackson.annotation.JsonAnySetter;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.keyturn.workflows.model.Durations;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * keyturn.yaml as written, mapped by Jackson once the schema has accepted the file: the shape and
 * the defaults of each field; paths are still as written (relative to the file), and nothing is
 * checked against anything else yet (that is {@link ConfigLoader}'s).
 */
record KeyturnFile(
    String apiVersion,
    List<Secret> secrets,
    List<MasterKeyEntry> masterKeys,
    List<ProviderKeyEntry> providerKeys) {
  KeyturnFile {
    secrets = secrets == null ? List.of() : secrets;
    masterKeys = masterKeys == null ? List.of() : masterKeys;
    providerKeys = providerKeys == null ? List.of() : providerKeys;
  }

  static final Duration DEFAULT_GRACE = Duration.ofHours(24);
  static final String DEFAULT_MANAGEMENT_KEY_ENV = "LITELLM_MASTER_KEY";

  /** Reads YAML; unknown fields fail the mapping, though the schema refused them first. */
  static final ObjectMapper YAML =
      YAMLMapper.builder()
          .addModule(
              new SimpleModule("keyturn-durations").addDeserializer(Duration.class, new Text()))
          .build();

  /** Maps a tree the schema accepted. */
  static KeyturnFile of(JsonNode root) throws JsonProcessingException {
    return YAML.treeToValue(root, KeyturnFile.class);
  }

  record Secret(
      String id,
      String description,
      Gateway gateway,
      KeyRef currentKey,
      Policy policy,
      List<Destination> destinations,
      Schedule schedule,
      Duration grace,
      Verify verify,
      Drain drain,
      String kind,
      Operator operator) {
    Secret {
      policy = policy == null ? new Policy(null, null) : policy;
      grace = grace == null ? DEFAULT_GRACE : grace;
      verify = verify == null ? new Verify(null) : verify;
    }
  }

  /** {@code operator: {virtualKey: <namespace>/<name>}}: rotated through the LiteLLM operator. */
  record Operator(String virtualKey) {}

  record Gateway(String url, KeyRef managementKey) {
    Gateway {
      managementKey =
          managementKey == null
              ? new KeyRef(DEFAULT_MANAGEMENT_KEY_ENV, null, null)
              : managementKey;
    }
  }

  /** One of an environment variable, a file (relative to keyturn.yaml) or a token hash. */
  record KeyRef(String env, String file, String keyHash) {}

  /**
   * {@code import: current} ({@code from} null, the default), {@code import: {a key}}, or no import
   * when fields are written out and {@code import} is not.
   */
  record Policy(@JsonProperty("import") Import from, @JsonAnySetter Map<String, Object> fields) {
    Policy {
      fields = fields == null ? Map.of() : new LinkedHashMap<>(fields);
    }

    /** Whether each rotation copies the policy of the key it replaces. */
    boolean importCurrent() {
      return from != null ? from.key() == null : fields.isEmpty();
    }
  }

  /** {@code current}, or a template key. */
  record Import(KeyRef key) {
    @JsonCreator
    static Import of(String current) {
      return new Import(null); // the schema allows only "current"
    }

    @JsonCreator
    static Import of(KeyRef key) {
      return new Import(key);
    }
  }

  record Destination(String type, @JsonAnySetter Map<String, Object> settings) {
    Destination {
      settings = settings == null ? Map.of() : new LinkedHashMap<>(settings);
    }
  }

  record Schedule(Duration every, String cron, String timezone, Duration jitter, boolean paused) {
    Schedule {
      cron = cron == null ? null : cron.strip();
      timezone = timezone == null ? "UTC" : timezone;
      jitter = jitter == null ? Duration.ZERO : jitter;
    }
  }

  /** {@code drain:} as written; every field optional (null: the default). */
  record Drain(
      Boolean enabled,
      Duration usedWithin,
      Duration recheckEvery,
      Duration maxHold,
      String onLimit) {}

  record Verify(Boolean models) {
    Verify {
      models = models == null || models;
    }
  }

  /** A proxy whose master key Keyturn rotates ({@code masterKeys:}). */
  record MasterKeyEntry(
      String id,
      String description,
      MasterGateway gateway,
      List<Destination> destinations,
      Boolean saltKey,
      Restart restart,
      List<AlsoRestart> alsoRestart,
      Schedule schedule) {}

  /** A Deployment restarted with the proxy: {@code {deployment, namespace, context}}. */
  record AlsoRestart(String deployment, String namespace, String context) {}

  record MasterGateway(String url) {}

  /**
   * A model group whose upstream provider key Keyturn rotates ({@code providerKeys:}); {@code
   * settings} are the fields its provider declares ({@code project: ...}), written beside {@code
   * provider:} and checked by that provider's {@code ProviderType}.
   */
  record ProviderKeyEntry(
      String id,
      String description,
      MasterGateway gateway,
      String modelGroup,
      String provider,
      Duration overlap,
      Duration grace,
      Duration keyDeadline,
      ProxySecretStoreEntry secretStore,
      Schedule schedule,
      @JsonAnySetter Map<String, Object> settings) {
    ProviderKeyEntry {
      settings = settings == null ? Map.of() : new LinkedHashMap<>(settings);
      overlap = overlap == null ? Duration.ZERO : overlap;
      grace = grace == null ? DEFAULT_GRACE : grace;
      keyDeadline = keyDeadline == null ? Duration.ofHours(24) : keyDeadline;
    }
  }

  /**
   * {@code secretStore:} of a provider key: where the proxy reads it ({@code os.environ/NAME}), and
   * how long the proxy caches it (null: {@link
   * io.keyturn.workflows.model.ProxySecretStore#DEFAULT_PROXY_CACHE}).
   */
  record ProxySecretStoreEntry(List<Destination> destinations, Duration proxyCache) {
    ProxySecretStoreEntry {
      destinations = destinations == null ? List.of() : destinations;
    }
  }

  record Restart(
      String mode,
      String url,
      String deployment,
      String namespace,
      String context,
      Duration deadline) {}

  /** A duration as {@link Durations} reads it. */
  private static final class Text extends StdScalarDeserializer<Duration> {
    Text() {
      super(Duration.class);
    }

    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      String text = p.getValueAsString();
      try {
        return Durations.parse(text);
      } catch (IllegalArgumentException e) {
        throw InvalidFormatException.from(p, e.getMessage(), text, Duration.class);
      }
    }
  }
}
