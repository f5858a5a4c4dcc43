package io.keyturn.activities.store;

import com.azure.core.credential.TokenCredential;
import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.exception.ResourceNotFoundException;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.identity.CredentialUnavailableException;
import com.azure.identity.DefaultAzureCredentialBuilder;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import com.azure.security.keyvault.secrets.models.SecretProperties;
import com.google.auto.service.AutoService;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.store.AzureKeyVaultConfig;
import io.keyturn.workflows.store.StoreType;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Azure Key Vault. A write sets a new version of the secret, with a content type and tags naming
 * the rotation, its generation, the value's fingerprint and the version it replaced; the newest
 * version is the current one, which is what LiteLLM reads ({@code get_secret(name)}). Key Vault
 * cannot make an older version current again, so a restore sets the previous version's value as a
 * new version, then disables the version it undid. A secret Keyturn created is deleted instead (Key
 * Vault's soft delete: recoverable for the vault's retention period); a later write to a
 * soft-deleted name recovers it first, as the name cannot be reused otherwise.
 *
 * <p>Names are Key Vault's (letters, digits, dashes), used as given: LiteLLM maps none.
 */
public final class AzureKeyVaultStore implements SecretStore {
  public static final String TYPE = AzureKeyVaultConfig.TYPE;

  static final String CONTENT_TYPE = "text/plain; LiteLLM virtual key, rotated by Keyturn";
  static final String TAG_GENERATION = "keyturn-generation";
  static final String TAG_FINGERPRINT = "keyturn-fingerprint";
  static final String TAG_ROTATION = "keyturn-rotation";
  static final String TAG_PREVIOUS = "keyturn-previous-version";
  static final String TAG_RESTORED_FROM = "keyturn-restored-from";

  private static final Logger log = LoggerFactory.getLogger(AzureKeyVaultStore.class);
  private static final Duration POLL_LIMIT = Duration.ofSeconds(60);

  private final AzureKeyVaultConfig config;
  private final SecretClient client;

  /** A store on {@code client}, which is bound to {@code config}'s vault. */
  AzureKeyVaultStore(AzureKeyVaultConfig config, SecretClient client) {
    this.config = Objects.requireNonNull(config, "config");
    this.client = Objects.requireNonNull(client, "client");
  }

  /**
   * A client for the config's vault with {@code credentials}, on the JDK's HTTP client unless
   * {@code http} is given (tests route to a fake with it).
   */
  static SecretClient newClient(
      AzureKeyVaultConfig config, TokenCredential credentials, HttpClient http) {
    return new SecretClientBuilder()
        .vaultUrl(config.vaultUrl().toString())
        .credential(Objects.requireNonNull(credentials, "credentials"))
        .httpClient(http != null ? http : new JdkHttpClientBuilder().build())
        .buildClient();
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String location() {
    return "azure-keyvault " + config.describe();
  }

  public AzureKeyVaultConfig config() {
    return config;
  }

  /**
   * Sets {@code value} as a new version, tagged with the rotation, generation, fingerprint and the
   * version it replaces. A soft-deleted secret is recovered first. Idempotent: nothing is written
   * when the current version already holds {@code value} (a retry after the write found it done).
   */
  @Override
  public StoreReceipt write(String value, RotationContext rotation) {
    String fingerprint = KeyMaterial.tokenHash(value);
    Optional<KeyVaultSecret> current = current();
    if (current.isPresent() && fingerprint.equals(fingerprintOf(current.get()))) {
      SecretProperties p = current.get().getProperties();
      return receipt(p.getVersion(), tag(p, TAG_PREVIOUS), fingerprint, false);
    }
    String previous = current.map(s -> s.getProperties().getVersion()).orElse("");
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(TAG_ROTATION, rotation.workflowId());
    tags.put(TAG_GENERATION, rotation.generation());
    tags.put(TAG_FINGERPRINT, fingerprint);
    tags.put(TAG_PREVIOUS, previous);
    KeyVaultSecret written = set(value, tags);
    log.info(
        "wrote {} to {} as version {} (was {})",
        KeyRef.shortHash(fingerprint),
        location(),
        written.getProperties().getVersion(),
        previous.isEmpty() ? "none" : previous);
    return receipt(written.getProperties().getVersion(), previous, fingerprint, true);
  }

  @Override
  public Optional<String> currentFingerprint() {
    return current().map(AzureKeyVaultStore::fingerprintOf);
  }

  @Override
  public Optional<String> currentValue() {
    return current().map(KeyVaultSecret::getValue);
  }

  @Override
  public boolean supportsRestore() {
    return true;
  }

  /**
   * When the current version holds {@code fingerprintToUndo}: sets the value of the version it
   * replaced (its {@value #TAG_PREVIOUS} tag) as a new version and disables the undone one; when it
   * replaced nothing (Keyturn created the secret), disables it and deletes the secret. Idempotent:
   * does nothing when the current version holds anything else.
   */
  @Override
  public StoreReceipt restorePrevious(String fingerprintToUndo) {
    Optional<KeyVaultSecret> current = current();
    String currentFp = current.map(AzureKeyVaultStore::fingerprintOf).orElse("");
    String currentVersion = current.map(s -> s.getProperties().getVersion()).orElse("");
    if (current.isEmpty() || !currentFp.equals(fingerprintToUndo)) {
      return receipt(currentVersion, "", currentFp, false);
    }
    String previous = tag(current.get().getProperties(), TAG_PREVIOUS);
    if (previous.isEmpty()) {
      disable(current.get());
      delete();
      return receipt("", currentVersion, "", true);
    }
    KeyVaultSecret old =
        call(
            "read the previous version " + previous + " of",
            () -> client.getSecret(config.name(), previous));
    String oldFp = fingerprintOf(old);
    Map<String, String> tags = new LinkedHashMap<>();
    tags.put(TAG_RESTORED_FROM, previous);
    tags.put(TAG_FINGERPRINT, oldFp);
    tags.put(TAG_PREVIOUS, currentVersion);
    copyTag(old, TAG_GENERATION, tags);
    KeyVaultSecret restored = set(old.getValue(), tags);
    disable(current.get());
    log.info(
        "restored {}: version {} holds {} again (from version {}); version {} disabled",
        location(),
        restored.getProperties().getVersion(),
        KeyRef.shortHash(oldFp),
        previous,
        currentVersion);
    return receipt(restored.getProperties().getVersion(), currentVersion, oldFp, true);
  }

  /**
   * Deletes the secret (soft delete: recoverable for the vault's retention period) and waits until
   * Key Vault reports it deleted. Idempotent: a secret that is already deleted or never existed is
   * done.
   */
  @Override
  public void delete() {
    try {
      client.beginDeleteSecret(config.name()).waitForCompletion(POLL_LIMIT);
      log.info("deleted {} (soft delete)", location());
    } catch (ResourceNotFoundException e) {
      // Already deleted, or never there: done.
    } catch (RuntimeException e) {
      throw failure("delete", e);
    }
  }

  // ---------------------------------------------------------------- calls

  private Optional<KeyVaultSecret> current() {
    try {
      return Optional.of(client.getSecret(config.name()));
    } catch (ResourceNotFoundException e) {
      return Optional.empty();
    } catch (HttpResponseException e) {
      if (status(e) == 403 && String.valueOf(e.getMessage()).contains("SecretDisabled")) {
        // The newest version is disabled: LiteLLM cannot read it, so there is no current value.
        return Optional.empty();
      }
      throw failure("read", e);
    } catch (RuntimeException e) {
      throw failure("read", e);
    }
  }

  private KeyVaultSecret set(String value, Map<String, String> tags) {
    KeyVaultSecret secret = new KeyVaultSecret(config.name(), value);
    secret.getProperties().setContentType(CONTENT_TYPE).setTags(tags);
    try {
      return client.setSecret(secret);
    } catch (HttpResponseException e) {
      if (status(e) != 409
          || !String.valueOf(e.getMessage()).contains("ObjectIsDeletedButRecoverable")) {
        throw failure("write", e);
      }
    } catch (RuntimeException e) {
      throw failure("write", e);
    }
    // Deleted but recoverable: the name cannot be reused until the secret is recovered.
    call(
        "recover the soft-deleted",
        () -> client.beginRecoverDeletedSecret(config.name()).waitForCompletion(POLL_LIMIT));
    log.info("{} was soft-deleted; recovered it before writing", location());
    return call("write", () -> client.setSecret(secret));
  }

  /** Disables a version Keyturn undid, so it cannot be read; failing that only warns. */
  private void disable(KeyVaultSecret undone) {
    try {
      client.updateSecretProperties(undone.getProperties().setEnabled(false));
    } catch (RuntimeException e) {
      log.warn(
          "could not disable the undone version {} of {}: {}",
          undone.getProperties().getVersion(),
          location(),
          e.getClass().getSimpleName());
    }
  }

  private static String fingerprintOf(KeyVaultSecret secret) {
    return secret.getValue() == null ? "" : KeyMaterial.tokenHash(secret.getValue());
  }

  private static String tag(SecretProperties p, String name) {
    return p.getTags() == null ? "" : p.getTags().getOrDefault(name, "");
  }

  private static void copyTag(KeyVaultSecret from, String name, Map<String, String> to) {
    String v = tag(from.getProperties(), name);
    if (!v.isEmpty()) {
      to.put(name, v);
    }
  }

  // ---------------------------------------------------------------- errors

  private <T> T call(String op, Supplier<T> request) {
    try {
      return request.get();
    } catch (RuntimeException e) {
      throw failure(op, e);
    }
  }

  private static int status(HttpResponseException e) {
    return e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
  }

  private RuntimeException failure(String op, RuntimeException e) {
    String where = "Azure Key Vault could not " + op + " " + location();
    if (e instanceof CredentialUnavailableException) {
      return StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          where
              + ": the worker has no Azure credentials. Set AZURE_TENANT_ID, AZURE_CLIENT_ID and"
              + " AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE), or give the worker a"
              + " managed identity",
          null);
    }
    if (e instanceof HttpResponseException h) {
      int status = status(h);
      String detail = " (" + status + ": " + h.getMessage() + ")";
      if (status == 429 || status >= 500) {
        return StoreFailures.transientFailure(where + detail, null);
      }
      if (status == 401 || status == 403 || e instanceof ClientAuthenticationException) {
        return StoreFailures.nonRetryable(
            RotationFailures.STORE_DENIED,
            where
                + detail
                + ". The worker's Azure identity needs the secrets permissions get, list, set,"
                + " delete and recover on the vault (or the role Key Vault Secrets Officer)",
            null);
      }
      if (status == 409) {
        return StoreFailures.nonRetryable(
            RotationFailures.STORE_CONFLICT,
            where + detail + ": find the other writer, or recover or purge the secret",
            null);
      }
      return StoreFailures.nonRetryable(RotationFailures.STORE_DENIED, where + detail, null);
    }
    if (e instanceof ClientAuthenticationException) {
      return StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          where + ": the worker's Azure credentials were refused (" + e.getMessage() + ")",
          null);
    }
    return StoreFailures.transientFailure(
        where + ": " + e.getClass().getSimpleName() + " " + e.getMessage(), null);
  }

  private StoreReceipt receipt(
      String version, String previous, String fingerprint, boolean written) {
    return new StoreReceipt(TYPE, location(), version, previous, fingerprint, written);
  }

  /**
   * Opens azure-keyvault destinations with the Azure default credential chain (environment,
   * workload identity, managed identity, Azure CLI...), on one client per vault kept for the
   * worker's life.
   */
  @AutoService(SecretStoreProvider.class)
  public static final class Provider implements SecretStoreProvider<AzureKeyVaultConfig> {
    @Override
    public StoreType<AzureKeyVaultConfig> type() {
      return new AzureKeyVaultConfig.Type();
    }

    @Override
    public SecretStore open(AzureKeyVaultConfig config, StoreContext worker) {
      TokenCredential credentials =
          worker.shared(TYPE + " credentials", () -> new DefaultAzureCredentialBuilder().build());
      SecretClient client =
          worker.shared(TYPE + " " + config.vaultUrl(), () -> newClient(config, credentials, null));
      return new AzureKeyVaultStore(config, client);
    }
  }
}
