package io.keyturn.activities.store;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import com.google.auto.service.AutoService;
import com.google.cloud.secretmanager.v1.AccessSecretVersionResponse;
import com.google.cloud.secretmanager.v1.ListSecretVersionsRequest;
import com.google.cloud.secretmanager.v1.ProjectName;
import com.google.cloud.secretmanager.v1.Replication;
import com.google.cloud.secretmanager.v1.Secret;
import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import com.google.cloud.secretmanager.v1.SecretManagerServiceSettings;
import com.google.cloud.secretmanager.v1.SecretPayload;
import com.google.cloud.secretmanager.v1.SecretVersion;
import com.google.protobuf.ByteString;
import com.google.protobuf.FieldMask;
import io.grpc.ManagedChannelBuilder;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.store.GcpSecretManagerConfig;
import io.keyturn.workflows.store.StoreType;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Google Secret Manager. Each value is a new secret version, and the current value is what LiteLLM
 * reads: {@code versions/latest}, the most recently created version (a disabled or destroyed latest
 * version means no value). A write adds a version (creating the secret first when the settings
 * allow it); a restore adds the previous value again as a newer version and disables the undone
 * one, so {@code latest} is the restored value and the history stays readable. The secret's labels
 * carry the generation and the fingerprint's first 16 hex digits (labels allow 63 lowercase
 * characters), its annotations the workflow id and full fingerprint; never the value.
 */
public final class GcpSecretManagerStore implements SecretStore, AutoCloseable {
  public static final String TYPE = GcpSecretManagerConfig.TYPE;

  private static final Logger log = LoggerFactory.getLogger(GcpSecretManagerStore.class);

  private final GcpSecretManagerConfig config;
  private final Clients clients;
  private final boolean ownsClient;

  /** A store with its own client (Application Default Credentials), closed by {@link #close()}. */
  public GcpSecretManagerStore(GcpSecretManagerConfig config) {
    this(config, new Clients(config.endpoint()), true);
  }

  GcpSecretManagerStore(GcpSecretManagerConfig config, Clients clients, boolean ownsClient) {
    this.config = Objects.requireNonNull(config, "config");
    this.clients = Objects.requireNonNull(clients, "clients");
    this.ownsClient = ownsClient;
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String location() {
    return "gcp-secretmanager " + config.resourceName();
  }

  public GcpSecretManagerConfig config() {
    return config;
  }

  /**
   * Adds {@code value} as a new version, creating the secret first when it does not exist and
   * {@code createIfMissing} allows it. Idempotent: nothing is added when {@code latest} already
   * holds {@code value} (a retry after the version was added).
   */
  @Override
  public StoreReceipt write(String value, RotationContext rotation) {
    String fingerprint = KeyMaterial.tokenHash(value);
    Optional<Current> current = latest();
    if (current.isPresent() && current.get().fingerprint().equals(fingerprint)) {
      String previous = enabledBefore(current.get().version()).map(Current::version).orElse("");
      return receipt(current.get().version(), previous, fingerprint, false);
    }
    if (current.isEmpty()) {
      ensureSecret(rotation, fingerprint);
    }
    String added = add(value);
    label(rotation, fingerprint);
    String was = current.map(Current::version).orElse("");
    log.info(
        "wrote {} to {} as version {} (was {})",
        KeyRef.shortHash(fingerprint),
        location(),
        added,
        was.isEmpty() ? "none" : was);
    return receipt(added, was, fingerprint, true);
  }

  @Override
  public Optional<String> currentFingerprint() {
    return latest().map(Current::fingerprint);
  }

  @Override
  public Optional<String> currentValue() {
    return latest().map(Current::value);
  }

  @Override
  public boolean supportsRestore() {
    return true;
  }

  /**
   * When {@code latest} holds {@code fingerprintToUndo}: adds the newest earlier enabled version's
   * value as a new version and disables the undone one, or, when there is no earlier value, only
   * disables it (the secret then has no current value, as before the write). Idempotent: does
   * nothing when {@code latest} holds anything else.
   */
  @Override
  public StoreReceipt restorePrevious(String fingerprintToUndo) {
    Optional<Current> current = latest();
    if (current.isEmpty() || !current.get().fingerprint().equals(fingerprintToUndo)) {
      return receipt(
          current.map(Current::version).orElse(""),
          "",
          current.map(Current::fingerprint).orElse(""),
          false);
    }
    String undone = current.get().version();
    Optional<Current> previous = enabledBefore(undone);
    if (previous.isEmpty()) {
      disable(undone);
      log.info("disabled version {} of {} (no earlier value)", undone, location());
      return receipt("", undone, "", true);
    }
    String restored = add(previous.get().value());
    disable(undone);
    log.info(
        "restored {}: the value of version {} ({}) is version {}; version {} disabled",
        location(),
        previous.get().version(),
        KeyRef.shortHash(previous.get().fingerprint()),
        restored,
        undone);
    return receipt(restored, undone, previous.get().fingerprint(), true);
  }

  /**
   * Disables every enabled version, so {@code latest} has no value (versions and the secret, with
   * its IAM bindings, are kept). Idempotent: a missing secret or one without enabled versions is
   * done.
   */
  @Override
  public void delete() {
    for (SecretVersion v : versions()) {
      if (v.getState() == SecretVersion.State.ENABLED) {
        disable(idOf(v.getName()));
        log.info("disabled version {} of {}", idOf(v.getName()), location());
      }
    }
  }

  @Override
  public void close() {
    if (ownsClient) {
      clients.close();
    }
  }

  // ---------------------------------------------------------------- calls

  private record Current(String version, String value, String fingerprint) {}

  /** What LiteLLM reads: {@code versions/latest}, or empty when it has no value. */
  private Optional<Current> latest() {
    return access(config.resourceName() + "/versions/latest");
  }

  private Optional<Current> access(String versionName) {
    AccessSecretVersionResponse r;
    try {
      r = clients.get(this).accessSecretVersion(versionName);
    } catch (ApiException e) {
      StatusCode.Code code = e.getStatusCode().getCode();
      if (code == StatusCode.Code.NOT_FOUND || code == StatusCode.Code.FAILED_PRECONDITION) {
        return Optional.empty(); // no secret, no version, or the version is disabled or destroyed
      }
      throw failure("read", e);
    }
    String value = r.getPayload().getData().toStringUtf8();
    return Optional.of(new Current(idOf(r.getName()), value, KeyMaterial.tokenHash(value)));
  }

  /** The newest enabled version older than {@code version}, with its value. */
  private Optional<Current> enabledBefore(String version) {
    long before = Long.parseLong(version);
    List<SecretVersion> older = new ArrayList<>();
    for (SecretVersion v : versions()) {
      if (v.getState() == SecretVersion.State.ENABLED && number(v) < before) {
        older.add(v);
      }
    }
    older.sort(Comparator.comparingLong(GcpSecretManagerStore::number).reversed());
    for (SecretVersion v : older) {
      Optional<Current> c = access(v.getName());
      if (c.isPresent()) {
        return c;
      }
    }
    return Optional.empty();
  }

  private List<SecretVersion> versions() {
    try {
      List<SecretVersion> all = new ArrayList<>();
      clients
          .get(this)
          .listSecretVersions(
              ListSecretVersionsRequest.newBuilder().setParent(config.resourceName()).build())
          .iterateAll()
          .forEach(all::add);
      return all;
    } catch (ApiException e) {
      if (e.getStatusCode().getCode() == StatusCode.Code.NOT_FOUND) {
        return List.of();
      }
      throw failure("list the versions of", e);
    }
  }

  private void ensureSecret(RotationContext rotation, String fingerprint) {
    try {
      clients.get(this).getSecret(config.resourceName());
      return;
    } catch (ApiException e) {
      if (e.getStatusCode().getCode() != StatusCode.Code.NOT_FOUND) {
        throw failure("read", e);
      }
    }
    if (!config.createIfMissing()) {
      throw StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          location()
              + " does not exist and 'createIfMissing' is false: create the secret (gcloud"
              + " secrets create "
              + config.name()
              + " --project "
              + config.project()
              + ") or set createIfMissing=true",
          null);
    }
    try {
      clients
          .get(this)
          .createSecret(
              ProjectName.of(config.project()),
              config.name(),
              Secret.newBuilder()
                  .setReplication(
                      Replication.newBuilder()
                          .setAutomatic(Replication.Automatic.getDefaultInstance()))
                  .putAllLabels(labels(Map.of(), rotation, fingerprint))
                  .build());
      log.info("created {}", location());
    } catch (ApiException e) {
      if (e.getStatusCode().getCode() != StatusCode.Code.ALREADY_EXISTS) {
        throw failure("create", e);
      }
    }
  }

  private String add(String value) {
    try {
      SecretVersion v =
          clients
              .get(this)
              .addSecretVersion(
                  config.resourceName(),
                  SecretPayload.newBuilder()
                      .setData(ByteString.copyFrom(value, StandardCharsets.UTF_8))
                      .build());
      return idOf(v.getName());
    } catch (ApiException e) {
      throw failure("add a version to", e);
    }
  }

  private void disable(String version) {
    try {
      clients.get(this).disableSecretVersion(config.resourceName() + "/versions/" + version);
    } catch (ApiException e) {
      throw failure("disable version " + version + " of", e);
    }
  }

  /** Sets Keyturn's labels and annotations, keeping the others. Best effort: only for operators. */
  private void label(RotationContext rotation, String fingerprint) {
    try {
      Secret s = clients.get(this).getSecret(config.resourceName());
      Map<String, String> annotations = new LinkedHashMap<>(s.getAnnotationsMap());
      annotations.put("keyturn-workflow-id", rotation.workflowId());
      annotations.put("keyturn-fingerprint", fingerprint);
      clients
          .get(this)
          .updateSecret(
              s.toBuilder()
                  .clearLabels()
                  .putAllLabels(labels(s.getLabelsMap(), rotation, fingerprint))
                  .clearAnnotations()
                  .putAllAnnotations(annotations)
                  .build(),
              FieldMask.newBuilder().addPaths("labels").addPaths("annotations").build());
    } catch (ApiException e) {
      log.warn(
          "could not label {}: {}", location(), e.getStatusCode().getCode() + " " + e.getMessage());
    }
  }

  /**
   * {@code existing} plus {@code keyturn-generation} and {@code keyturn-fingerprint} (the first 16
   * hex digits), in the form labels allow: lowercase letters, digits, '_' and '-', at most 63.
   */
  static Map<String, String> labels(
      Map<String, String> existing, RotationContext rotation, String fingerprint) {
    Map<String, String> labels = new LinkedHashMap<>(existing);
    labels.put("keyturn-generation", labelValue(rotation.generation()));
    labels.put("keyturn-fingerprint", labelValue(fingerprint.substring(0, 16)));
    return labels;
  }

  static String labelValue(String s) {
    String v = s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]", "-");
    return v.length() > 63 ? v.substring(0, 63) : v;
  }

  private static long number(SecretVersion v) {
    return Long.parseLong(idOf(v.getName()));
  }

  private static String idOf(String versionName) {
    return versionName.substring(versionName.lastIndexOf('/') + 1);
  }

  // ---------------------------------------------------------------- errors

  private static final Set<StatusCode.Code> TRANSIENT =
      Set.of(
          StatusCode.Code.UNAVAILABLE,
          StatusCode.Code.DEADLINE_EXCEEDED,
          StatusCode.Code.RESOURCE_EXHAUSTED,
          StatusCode.Code.ABORTED,
          StatusCode.Code.INTERNAL,
          StatusCode.Code.UNKNOWN);

  private RuntimeException failure(String op, ApiException e) {
    StatusCode.Code code = e.getStatusCode().getCode();
    String where =
        "Google Secret Manager could not "
            + op
            + " "
            + location()
            + " ("
            + code
            + ": "
            + e.getMessage()
            + ")";
    if (TRANSIENT.contains(code)) {
      return StoreFailures.transientFailure(where, null);
    }
    if (code == StatusCode.Code.PERMISSION_DENIED || code == StatusCode.Code.UNAUTHENTICATED) {
      return StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          where
              + ". The worker's Google identity (Application Default Credentials) needs"
              + " secretmanager.secrets.get, secretmanager.secrets.create,"
              + " secretmanager.secrets.update, secretmanager.versions.list,"
              + " secretmanager.versions.access, secretmanager.versions.add and"
              + " secretmanager.versions.disable on "
              + config.resourceName()
              + " (e.g. roles/secretmanager.admin on the secret)",
          null);
    }
    return StoreFailures.nonRetryable(RotationFailures.STORE_DENIED, where, null);
  }

  private StoreReceipt receipt(
      String version, String previous, String fingerprint, boolean written) {
    return new StoreReceipt(TYPE, location(), version, previous, fingerprint, written);
  }

  /**
   * One Secret Manager client per endpoint, made on first use: a worker without Application Default
   * Credentials starts, and only a gcp-secretmanager destination fails (its check, before anything
   * is minted). Thread-safe.
   */
  static final class Clients implements AutoCloseable {
    private final String endpoint;
    private SecretManagerServiceClient client;

    Clients(String endpoint) {
      this.endpoint = endpoint;
    }

    synchronized SecretManagerServiceClient get(GcpSecretManagerStore store) {
      if (client == null) {
        try {
          client = SecretManagerServiceClient.create(settings());
        } catch (IOException e) {
          throw StoreFailures.nonRetryable(
              RotationFailures.STORE_DENIED,
              store.location()
                  + ": the worker has no Google Application Default Credentials ("
                  + e.getMessage()
                  + "). Set GOOGLE_APPLICATION_CREDENTIALS to a service account key file, run on"
                  + " Google Cloud with a service account attached, or run gcloud auth"
                  + " application-default login for the worker's user",
              null);
        }
      }
      return client;
    }

    private SecretManagerServiceSettings settings() throws IOException {
      if (endpoint == null) {
        return SecretManagerServiceSettings.newBuilder().build();
      }
      // An emulator: plaintext, no credentials.
      return SecretManagerServiceSettings.newBuilder()
          .setCredentialsProvider(NoCredentialsProvider.create())
          .setTransportChannelProvider(
              InstantiatingGrpcChannelProvider.newBuilder()
                  .setEndpoint(endpoint)
                  .setChannelConfigurator(ManagedChannelBuilder::usePlaintext)
                  .build())
          .build();
    }

    @Override
    public synchronized void close() {
      if (client != null) {
        client.close();
        client = null;
      }
    }
  }

  /**
   * Opens gcp-secretmanager destinations with Application Default Credentials, on one client per
   * endpoint kept for the worker's life.
   */
  @AutoService(SecretStoreProvider.class)
  public static final class Provider implements SecretStoreProvider<GcpSecretManagerConfig> {
    @Override
    public StoreType<GcpSecretManagerConfig> type() {
      return new GcpSecretManagerConfig.Type();
    }

    @Override
    public SecretStore open(GcpSecretManagerConfig config, StoreContext worker) {
      Clients clients =
          worker.shared(TYPE + " " + config.endpoint(), () -> new Clients(config.endpoint()));
      return new GcpSecretManagerStore(config, clients, false);
    }
  }
}
