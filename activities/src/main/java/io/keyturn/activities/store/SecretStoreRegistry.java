package io.keyturn.activities.store;

import io.keyturn.activities.vault.VaultKv2Client;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/**
 * Secret store factories keyed by type name ({@code "vault-kv2"}, {@code "aws-secretsmanager"},
 * {@code "file"}, {@code "kubernetes-secret"}). A factory turns a destination's string settings
 * (from a rotation request or the worker's configuration) into a {@link SecretStore}; it closes
 * over what the worker provides, such as the Vault client. Each store's config record parses and
 * validates the settings.
 */
public final class SecretStoreRegistry {

  private final Map<String, Function<Map<String, String>, SecretStore>> factories;

  private SecretStoreRegistry(Map<String, Function<Map<String, String>, SecretStore>> factories) {
    this.factories = Collections.unmodifiableMap(new LinkedHashMap<>(factories));
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The stores Keyturn ships: {@value VaultKv2Store#TYPE} through the worker's {@code vault}
   * client, {@value AwsSecretsManagerStore#TYPE} with the AWS SDK's default credential chain (each
   * store holds its own SDK client: close it when done), {@value FileStore#TYPE}, and {@value
   * KubernetesSecretStore#TYPE} with fabric8's default configuration (in-cluster service account or
   * {@code ~/.kube/config}; each store makes its own client at its first call, so a worker without
   * Kubernetes access still starts: close it when done).
   */
  public static SecretStoreRegistry builtIn(VaultKv2Client vault) {
    Objects.requireNonNull(vault, "vault");
    AwsClients awsClients = new AwsClients();
    return builder()
        .register(
            VaultKv2Store.TYPE,
            settings -> {
              String address = settings.get("address");
              if (address != null
                  && !address.replaceAll("/+$", "").equals(vault.address().replaceAll("/+$", ""))) {
                throw new IllegalArgumentException(
                    "vault-kv2 store: the destination names Vault at "
                        + address
                        + " but this worker's VAULT_ADDR is "
                        + vault.address()
                        + "; drop 'address' or run a worker configured for that Vault");
              }
              return new VaultKv2Store(vault, VaultKv2Config.fromSettings(settings));
            })
        .register(
            AwsSecretsManagerStore.TYPE,
            settings -> {
              AwsSecretsManagerConfig config = AwsSecretsManagerConfig.fromSettings(settings);
              return new AwsSecretsManagerStore(config, awsClients.forConfig(config), false);
            })
        .register(FileStore.TYPE, settings -> new FileStore(FileStoreConfig.fromSettings(settings)))
        .register(
            KubernetesSecretStore.TYPE,
            settings -> new KubernetesSecretStore(KubernetesSecretConfig.fromSettings(settings)))
        .build();
  }

  /** The registered type names, in registration order. */
  public Set<String> types() {
    return factories.keySet();
  }

  /**
   * A store of {@code type} for the destination {@code settings}.
   *
   * @throws IllegalArgumentException for an unknown type (naming the known ones) or invalid
   *     settings (naming the setting and the fix)
   */
  public SecretStore create(String type, Map<String, String> settings) {
    Function<Map<String, String>, SecretStore> factory = factories.get(type);
    if (factory == null) {
      throw new IllegalArgumentException(
          "unknown secret store type '" + type + "': use one of " + factories.keySet());
    }
    return factory.apply(settings == null ? Map.of() : settings);
  }

  /** Collects factories; a type registered twice is a mistake and is refused. */
  public static final class Builder {
    private final Map<String, Function<Map<String, String>, SecretStore>> factories =
        new LinkedHashMap<>();

    private Builder() {}

    public Builder register(String type, Function<Map<String, String>, SecretStore> factory) {
      Objects.requireNonNull(factory, "factory");
      if (type == null || !type.matches("[a-z0-9][a-z0-9-]*")) {
        throw new IllegalArgumentException(
            "store type must be lowercase letters, digits and '-': " + type);
      }
      if (factories.putIfAbsent(type, factory) != null) {
        throw new IllegalArgumentException("store type '" + type + "' is already registered");
      }
      return this;
    }

    public SecretStoreRegistry build() {
      return new SecretStoreRegistry(factories);
    }
  }

  /**
   * One AWS SDK client per region and endpoint, built on first use and kept for the worker's life:
   * clients are thread-safe and costly to build (credentials chain, HTTP pool).
   */
  private static final class AwsClients {
    private final ConcurrentMap<String, SecretsManagerClient> clients = new ConcurrentHashMap<>();
    private AwsCredentialsProvider credentials;

    SecretsManagerClient forConfig(AwsSecretsManagerConfig config) {
      return clients.computeIfAbsent(
          config.region() + "|" + config.endpoint(),
          k -> AwsSecretsManagerStore.newClient(config, credentials()));
    }

    private synchronized AwsCredentialsProvider credentials() {
      if (credentials == null) {
        credentials = DefaultCredentialsProvider.builder().build();
      }
      return credentials;
    }
  }
}
