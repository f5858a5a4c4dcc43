package io.keyturn.activities.store;

import com.google.auto.service.AutoService;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.store.KubernetesSecretConfig;
import io.keyturn.workflows.store.StoreType;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Kubernetes Secret: the key is one entry of its {@code data} ({@link
 * KubernetesSecretConfig#field()}, {@code key} by default); the Secret's other entries are kept.
 * Every change is a read, then an update carrying the {@code resourceVersion} read, so a concurrent
 * writer makes the API server answer 409 instead of being overwritten. After a 409 the Secret is
 * read once more: when it holds the value Keyturn meant to write (another attempt of the same
 * rotation), the write is done; otherwise it fails with {@link RotationFailures#STORE_CONFLICT}. A
 * Secret that does not exist is created ({@code type: Opaque}).
 *
 * <p>Metadata: the label {@code app.kubernetes.io/managed-by: keyturn} and the annotations {@code
 * keyturn.dev/generation}, {@code keyturn.dev/workflow-id} and {@code keyturn.dev/fingerprint} (the
 * token hash LiteLLM knows the key by, never the value). A Secret Keyturn created also carries
 * {@code keyturn.dev/created: "true"}.
 *
 * <p>Restore: labels and annotations are readable by anyone who may list the Secret's metadata, so
 * no value ever goes there. Each write keeps the value it replaces in a second data entry of the
 * same Secret, {@code <field>.previous} ({@link KubernetesSecretConfig#previousField()}), which has
 * exactly the protection of the value itself (the same RBAC on the same object). The next write
 * replaces it, a write that replaced nothing removes it, and {@link #restorePrevious(String)} puts
 * it back and removes it. Applications that mount the whole Secret see that entry as a file too.
 *
 * <p>Versions are the Secret's {@code resourceVersion}. Permissions the worker needs on {@code
 * secrets} in the namespace: get, create, update, and delete for a Secret Keyturn created.
 */
public final class KubernetesSecretStore implements SecretStore, AutoCloseable {
  public static final String TYPE = KubernetesSecretConfig.TYPE;

  static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  static final String MANAGED_BY = "keyturn";
  static final String GENERATION = "keyturn.dev/generation";
  static final String FINGERPRINT = "keyturn.dev/fingerprint";
  static final String WORKFLOW_ID = "keyturn.dev/workflow-id";
  static final String CREATED = "keyturn.dev/created";

  private static final Logger log = LoggerFactory.getLogger(KubernetesSecretStore.class);

  private final KubernetesSecretConfig config;
  private final Supplier<KubernetesClient> clientFactory;
  private final boolean ownsClient;
  private KubernetesClient client;
  // Test seam: runs between the read and the update of a write, to simulate another writer.
  private Runnable betweenReadAndUpdate = () -> {};

  /**
   * A store whose client comes from fabric8's default configuration (in-cluster service account or
   * {@code ~/.kube/config}), or the configured context and kubeconfig file. The client is made at
   * the first call, so a worker without Kubernetes access starts; {@link #close()} closes it.
   */
  public KubernetesSecretStore(KubernetesSecretConfig config) {
    this(config, () -> defaultClient(config), true);
  }

  /** A store that uses {@code client} and leaves closing it to the caller. */
  public KubernetesSecretStore(KubernetesSecretConfig config, KubernetesClient client) {
    this(config, () -> Objects.requireNonNull(client, "client"), false);
  }

  private KubernetesSecretStore(
      KubernetesSecretConfig config, Supplier<KubernetesClient> clientFactory, boolean ownsClient) {
    this.config = Objects.requireNonNull(config, "config");
    this.clientFactory = clientFactory;
    this.ownsClient = ownsClient;
  }

  private static KubernetesClient defaultClient(KubernetesSecretConfig config) {
    Config k8s;
    if (config.kubeconfig() != null) {
      File file = new File(config.kubeconfig());
      if (!file.isFile()) {
        throw StoreFailures.nonRetryable(
            RotationFailures.STORE_DENIED,
            "kubernetes-secret store: kubeconfig "
                + file
                + " does not exist on this worker: fix 'kubeconfig' or drop it to use the default"
                + " configuration",
            null);
      }
      k8s = Config.fromKubeconfig(config.context(), file);
    } else {
      k8s = Config.autoConfigure(config.context());
    }
    // Temporal retries the activity; a long retry loop inside the client would only outlast the
    // activity's timeout.
    k8s.setRequestRetryBackoffLimit(1);
    return new KubernetesClientBuilder().withConfig(k8s).build();
  }

  private synchronized KubernetesClient client() {
    if (client == null) {
      client = clientFactory.get();
    }
    return client;
  }

  void betweenReadAndUpdate(Runnable hook) {
    this.betweenReadAndUpdate = Objects.requireNonNull(hook);
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String location() {
    return "kubernetes secret "
        + (config.context() == null ? "" : config.context() + ":")
        + config.namespace()
        + "/"
        + config.name()
        + "#"
        + config.field();
  }

  public KubernetesSecretConfig config() {
    return config;
  }

  /**
   * Sets the data entry to {@code value} (creating the Secret if needed), keeps the replaced value
   * in {@code <field>.previous}, and records the rotation in annotations; one update with the
   * {@code resourceVersion} read. Idempotent: nothing is written when the entry already holds
   * {@code value}, and a 409 after which the Secret holds {@code value} counts as done.
   */
  @Override
  public StoreReceipt write(String value, RotationContext rotation) {
    String fingerprint = KeyMaterial.tokenHash(value);
    Secret current = read();
    if (current != null && fingerprint.equals(fingerprintIn(current, config.field()))) {
      return receipt(current, "", fingerprint, false);
    }
    betweenReadAndUpdate.run();
    if (current == null) {
      Secret created =
          new SecretBuilder()
              .withNewMetadata()
              .withNamespace(config.namespace())
              .withName(config.name())
              .addToLabels(MANAGED_BY_LABEL, MANAGED_BY)
              .addToAnnotations(annotations(rotation, fingerprint))
              .addToAnnotations(CREATED, "true")
              .endMetadata()
              .withType("Opaque")
              .addToData(config.field(), encode(value))
              .build();
      try {
        created = secret().resource(created).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 409) {
          throw failure("create", e);
        }
        return afterConflict(fingerprint, "created it");
      }
      log.info("created {} holding {}", location(), KeyRef.shortHash(fingerprint));
      return receipt(created, "", fingerprint, true);
    }
    String previousVersion = current.getMetadata().getResourceVersion();
    Map<String, String> data = dataOf(current);
    String replaced = data.get(config.field());
    if (replaced == null) {
      data.remove(config.previousField());
    } else {
      data.put(config.previousField(), replaced);
    }
    data.put(config.field(), encode(value));
    ObjectMeta meta = current.getMetadata();
    meta.setLabels(with(meta.getLabels(), Map.of(MANAGED_BY_LABEL, MANAGED_BY)));
    meta.setAnnotations(with(meta.getAnnotations(), annotations(rotation, fingerprint)));
    current.setData(data);
    Secret updated;
    try {
      updated = secret().resource(current).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() != 409) {
        throw failure("update", e);
      }
      return afterConflict(fingerprint, "changed it");
    }
    log.info(
        "wrote {} to {} as resourceVersion {} (was {})",
        KeyRef.shortHash(fingerprint),
        location(),
        updated.getMetadata().getResourceVersion(),
        KeyRef.shortHash(replaced == null ? "" : KeyMaterial.tokenHash(decode(replaced))));
    return receipt(updated, previousVersion, fingerprint, true);
  }

  private StoreReceipt afterConflict(String fingerprint, String what) {
    Secret now = read();
    String nowFp = now == null ? "" : fingerprintIn(now, config.field());
    if (fingerprint.equals(nowFp)) {
      // Another attempt of the same rotation got there first: the write is done.
      return receipt(now, "", fingerprint, false);
    }
    throw StoreFailures.nonRetryable(
        RotationFailures.STORE_CONFLICT,
        "another writer "
            + what
            + " between Keyturn's read and write of "
            + location()
            + " (409 Conflict); it now holds "
            + KeyRef.shortHash(nowFp)
            + ", not "
            + KeyRef.shortHash(fingerprint)
            + ", and Keyturn did not overwrite it. Find the other writer (kubectl get secret -n "
            + config.namespace()
            + " "
            + config.name()
            + " -o yaml shows its annotations) and rotate again when it is done",
        null);
  }

  @Override
  public Optional<String> currentFingerprint() {
    return currentValue().map(KeyMaterial::tokenHash);
  }

  @Override
  public Optional<String> currentValue() {
    Secret s = read();
    if (s == null || s.getData() == null || s.getData().get(config.field()) == null) {
      return Optional.empty();
    }
    return Optional.of(decode(s.getData().get(config.field())));
  }

  @Override
  public boolean supportsRestore() {
    return true;
  }

  /**
   * When the entry holds {@code fingerprintToUndo}: puts back the value kept in {@code
   * <field>.previous} and removes that entry, or removes the value when it replaced nothing
   * (deleting the Secret when Keyturn created it and nothing else is left). Idempotent: does
   * nothing when the entry holds anything else. A concurrent change fails transiently, so the retry
   * reads again.
   */
  @Override
  public StoreReceipt restorePrevious(String fingerprintToUndo) {
    Secret current = read();
    String currentFp = current == null ? "" : fingerprintIn(current, config.field());
    if (current == null || !currentFp.equals(fingerprintToUndo)) {
      return new StoreReceipt(
          TYPE, location(), current == null ? "" : versionOf(current), "", currentFp, false);
    }
    String undoneVersion = versionOf(current);
    Map<String, String> data = dataOf(current);
    String previous = data.remove(config.previousField());
    if (previous == null) {
      removeValue(current);
      log.info("restored {}: removed {}", location(), KeyRef.shortHash(currentFp));
      return new StoreReceipt(TYPE, location(), "", undoneVersion, "", true);
    }
    String restoredFp = KeyMaterial.tokenHash(decode(previous));
    data.put(config.field(), previous);
    current.setData(data);
    Map<String, String> annotations =
        new LinkedHashMap<>(orEmpty(current.getMetadata().getAnnotations()));
    annotations.remove(GENERATION);
    annotations.remove(WORKFLOW_ID);
    annotations.put(FINGERPRINT, restoredFp);
    current.getMetadata().setAnnotations(annotations);
    Secret updated = lockedUpdate(current, "restore");
    log.info("restored {} to {}", location(), KeyRef.shortHash(restoredFp));
    return new StoreReceipt(TYPE, location(), versionOf(updated), undoneVersion, restoredFp, true);
  }

  /**
   * Removes the data entry and {@code <field>.previous}, or the whole Secret when Keyturn created
   * it and nothing else is left in it. Idempotent: a Secret or entry that is already gone is done.
   */
  @Override
  public void delete() {
    Secret current = read();
    if (current == null) {
      return;
    }
    Map<String, String> data = orEmpty(current.getData());
    if (!data.containsKey(config.field()) && !data.containsKey(config.previousField())) {
      return;
    }
    removeValue(current);
    log.info("removed {}", location());
  }

  private void removeValue(Secret current) {
    Map<String, String> data = dataOf(current);
    data.remove(config.field());
    data.remove(config.previousField());
    boolean ours = "true".equals(orEmpty(current.getMetadata().getAnnotations()).get(CREATED));
    boolean nothingElse =
        data.isEmpty() && (current.getStringData() == null || current.getStringData().isEmpty());
    if (ours && nothingElse) {
      try {
        secret()
            .withName(config.name())
            .lockResourceVersion(current.getMetadata().getResourceVersion())
            .delete();
      } catch (KubernetesClientException e) {
        if (e.getCode() != 404) {
          throw e.getCode() == 409 ? conflictWhile("delete", e) : failure("delete", e);
        }
      }
      return;
    }
    current.setData(data);
    Map<String, String> annotations =
        new LinkedHashMap<>(orEmpty(current.getMetadata().getAnnotations()));
    annotations.remove(GENERATION);
    annotations.remove(WORKFLOW_ID);
    annotations.remove(FINGERPRINT);
    current.getMetadata().setAnnotations(annotations);
    lockedUpdate(current, "remove the entry from");
  }

  private Secret lockedUpdate(Secret secret, String op) {
    try {
      return secret().resource(secret).update();
    } catch (KubernetesClientException e) {
      if (e.getCode() == 404) {
        return secret;
      }
      throw e.getCode() == 409 ? conflictWhile(op, e) : failure(op, e);
    }
  }

  private RuntimeException conflictWhile(String op, KubernetesClientException e) {
    return StoreFailures.transientFailure(
        "another writer changed " + location() + " while Keyturn tried to " + op + " it (409)",
        null);
  }

  @Override
  public synchronized void close() {
    if (ownsClient && client != null) {
      client.close();
      client = null;
    }
  }

  // ---------------------------------------------------------------- reads

  private io.fabric8.kubernetes.client.dsl.NonNamespaceOperation<
          Secret, io.fabric8.kubernetes.api.model.SecretList, Resource<Secret>>
      secret() {
    return client().secrets().inNamespace(config.namespace());
  }

  private Secret read() {
    try {
      return secret().withName(config.name()).get();
    } catch (KubernetesClientException e) {
      throw failure("read", e);
    }
  }

  private String fingerprintIn(Secret s, String key) {
    String encoded = s.getData() == null ? null : s.getData().get(key);
    return encoded == null ? "" : KeyMaterial.tokenHash(decode(encoded));
  }

  private Map<String, String> annotations(RotationContext rotation, String fingerprint) {
    Map<String, String> a = new LinkedHashMap<>();
    a.put(GENERATION, rotation.generation());
    a.put(WORKFLOW_ID, rotation.workflowId());
    a.put(FINGERPRINT, fingerprint);
    return a;
  }

  private static Map<String, String> dataOf(Secret s) {
    return new LinkedHashMap<>(orEmpty(s.getData()));
  }

  private static Map<String, String> with(Map<String, String> base, Map<String, String> more) {
    Map<String, String> m = new LinkedHashMap<>(orEmpty(base));
    m.putAll(more);
    return m;
  }

  private static Map<String, String> orEmpty(Map<String, String> m) {
    return m == null ? Map.of() : m;
  }

  private StoreReceipt receipt(
      Secret now, String previousVersion, String fingerprint, boolean written) {
    return new StoreReceipt(
        TYPE, location(), versionOf(now), previousVersion, fingerprint, written);
  }

  private static String versionOf(Secret s) {
    return s == null || s.getMetadata() == null ? "" : s.getMetadata().getResourceVersion();
  }

  private static String encode(String value) {
    return Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8));
  }

  private String decode(String encoded) {
    try {
      return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw StoreFailures.nonRetryable(
          RotationFailures.STORE_UNREADABLE,
          location() + " holds data that is not base64: fix the Secret",
          null);
    }
  }

  // ---------------------------------------------------------------- errors

  // The client's own message may quote the server's Status, and so the request: never pass it on.
  private RuntimeException failure(String op, KubernetesClientException e) {
    int code = e.getCode();
    String reason =
        e.getStatus() == null || e.getStatus().getReason() == null
            ? ""
            : " " + e.getStatus().getReason();
    String where = "Kubernetes could not " + op + " " + location();
    if (code == 401 || code == 403) {
      return StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          where
              + " ("
              + code
              + reason
              + "): give the worker's identity the RBAC verbs get, create, update (and delete)"
              + " on secrets in namespace "
              + config.namespace()
              + " (a Role and RoleBinding; resourceNames "
              + config.name()
              + " may restrict it, except for create), and check its kubeconfig or service"
              + " account token",
          null);
    }
    if (code == 404 && !"read".equals(op)) {
      return StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          where + " (404" + reason + "): does namespace " + config.namespace() + " exist?",
          null);
    }
    if (code <= 0 || code == 429 || code >= 500) {
      String cause = e.getCause() == null ? "" : ": " + e.getCause().getClass().getSimpleName();
      return StoreFailures.transientFailure(
          where + " (" + (code <= 0 ? "no response" + cause : code + reason) + ")", null);
    }
    return StoreFailures.nonRetryable(
        RotationFailures.STORE_UNREADABLE,
        where + " (" + code + reason + "): the API server refused the request; check the Secret",
        null);
  }

  /**
   * Opens kubernetes-secret destinations with fabric8's default configuration (in-cluster service
   * account or {@code ~/.kube/config}); each store makes its own client at its first call, so a
   * worker without Kubernetes access starts. Close the store when done.
   */
  @AutoService(SecretStoreProvider.class)
  public static final class Provider implements SecretStoreProvider<KubernetesSecretConfig> {
    @Override
    public StoreType<KubernetesSecretConfig> type() {
      return new KubernetesSecretConfig.Type();
    }

    @Override
    public SecretStore open(KubernetesSecretConfig config, StoreContext worker) {
      return new KubernetesSecretStore(config);
    }
  }
}
