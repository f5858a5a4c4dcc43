package io.keyturn.activities.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.service.AutoService;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.store.AwsSecretsManagerConfig;
import io.keyturn.workflows.store.StoreType;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClientBuilder;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.InvalidRequestException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretsManagerException;

/**
 * AWS Secrets Manager with the staging labels of its own rotation protocol. A write puts the new
 * value as a version labelled {@code AWSPENDING} whose {@code ClientRequestToken} is derived from
 * the rotation ({@link RotationContext#idempotencyToken()}), so a retried write makes the same
 * version rather than another; then it moves {@code AWSCURRENT} to that version, and Secrets
 * Manager moves {@code AWSPREVIOUS} to the one it replaced. Restore moves {@code AWSCURRENT} back
 * to the {@code AWSPREVIOUS} version. A secret that does not exist is created with the value.
 *
 * <p>The secret string is the plain key by default, which is what LiteLLM writes and reads, or one
 * field of a JSON object ({@link AwsSecretsManagerConfig#jsonField()}), other fields kept. Reads
 * always name the stage {@code AWSCURRENT}: moto (the test server) returns a stale value for a read
 * without a stage after the label moved.
 */
public final class AwsSecretsManagerStore implements SecretStore, AutoCloseable {
  public static final String TYPE = AwsSecretsManagerConfig.TYPE;

  private static final Logger log = LoggerFactory.getLogger(AwsSecretsManagerStore.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String CURRENT = "AWSCURRENT";
  private static final String PENDING = "AWSPENDING";
  private static final String PREVIOUS = "AWSPREVIOUS";

  private final AwsSecretsManagerConfig config;
  private final SecretsManagerClient client;
  private final boolean ownsClient;

  /** A store whose credentials come from the AWS SDK's default chain. */
  public AwsSecretsManagerStore(AwsSecretsManagerConfig config) {
    this(config, DefaultCredentialsProvider.builder().build());
  }

  /** A store with its own SDK client, closed by {@link #close()}. */
  public AwsSecretsManagerStore(
      AwsSecretsManagerConfig config, AwsCredentialsProvider credentials) {
    this(config, newClient(config, credentials), true);
  }

  /**
   * A store on a client the caller shares between stores (one per region and endpoint, so a worker
   * does not build an SDK client per activity call); {@link #close()} leaves it open.
   */
  AwsSecretsManagerStore(
      AwsSecretsManagerConfig config, SecretsManagerClient client, boolean ownsClient) {
    this.config = Objects.requireNonNull(config, "config");
    this.client = Objects.requireNonNull(client, "client");
    this.ownsClient = ownsClient;
  }

  /** An SDK client for the config's region and endpoint. */
  static SecretsManagerClient newClient(
      AwsSecretsManagerConfig config, AwsCredentialsProvider credentials) {
    SecretsManagerClientBuilder builder =
        SecretsManagerClient.builder()
            .credentialsProvider(Objects.requireNonNull(credentials, "credentials"))
            .httpClientBuilder(UrlConnectionHttpClient.builder());
    if (config.region() != null) {
      builder.region(Region.of(config.region()));
    }
    if (config.endpoint() != null) {
      builder.endpointOverride(config.endpoint());
    }
    return builder.build();
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String location() {
    return "aws-secretsmanager "
        + (config.region() == null ? "" : config.region() + ":")
        + config.secretId()
        + (config.jsonField() == null ? "" : "#" + config.jsonField());
  }

  public AwsSecretsManagerConfig config() {
    return config;
  }

  /**
   * Creates the secret with {@code value}, or puts {@code value} as an {@code AWSPENDING} version
   * (token derived from {@code rotation}) and moves {@code AWSCURRENT} to it. A secret scheduled
   * for deletion is restored first. Idempotent: nothing is written when the current version already
   * holds {@code value}; a retry after a partial write reuses the same version token.
   */
  @Override
  public StoreReceipt write(String value, RotationContext rotation) {
    String fingerprint = KeyMaterial.tokenHash(value);
    String token = rotation.idempotencyToken();
    Optional<DescribeSecretResponse> described = describe();
    if (described.isEmpty()) {
      call(
          "create",
          () ->
              client.createSecret(
                  r ->
                      r.name(config.secretId())
                          .clientRequestToken(token)
                          .description("LiteLLM virtual key, rotated by Keyturn")
                          .secretString(render(null, value))));
      log.info("created {} holding {}", location(), KeyRef.shortHash(fingerprint));
      return receipt(token, "", fingerprint, true);
    }
    if (described.get().deletedDate() != null) {
      call("restore", () -> client.restoreSecret(r -> r.secretId(config.secretId())));
      log.info("{} was scheduled for deletion; restored it before writing", location());
    }
    Optional<GetSecretValueResponse> current = current();
    String currentVersion = current.map(GetSecretValueResponse::versionId).orElse("");
    if (current.isPresent()
        && fingerprint.equals(fingerprintOf(current.get().secretString()).orElse(null))) {
      return receipt(currentVersion, versionWith(PREVIOUS).orElse(""), fingerprint, false);
    }
    String body = render(current.map(GetSecretValueResponse::secretString).orElse(null), value);
    call(
        "put a new version of",
        () ->
            client.putSecretValue(
                r ->
                    r.secretId(config.secretId())
                        .clientRequestToken(token)
                        .secretString(body)
                        .versionStages(PENDING)));
    call(
        "promote the new version of",
        () ->
            client.updateSecretVersionStage(
                r -> {
                  r.secretId(config.secretId()).versionStage(CURRENT).moveToVersionId(token);
                  if (!currentVersion.isEmpty()) {
                    r.removeFromVersionId(currentVersion);
                  }
                }));
    // AWSPENDING served its purpose; a later rotation would move it anyway, but a reader of the
    // labels should not see a pending version that is already current.
    call(
        "clear AWSPENDING on",
        () ->
            client.updateSecretVersionStage(
                r ->
                    r.secretId(config.secretId())
                        .versionStage(PENDING)
                        .removeFromVersionId(token)));
    log.info(
        "wrote {} to {} as version {} (was {})",
        KeyRef.shortHash(fingerprint),
        location(),
        token,
        currentVersion.isEmpty() ? "none" : currentVersion);
    return receipt(token, currentVersion, fingerprint, true);
  }

  @Override
  public Optional<String> currentFingerprint() {
    return current().flatMap(v -> fingerprintOf(v.secretString()));
  }

  @Override
  public Optional<String> currentValue() {
    return current().flatMap(v -> valueOf(v.secretString()));
  }

  private Optional<String> valueOf(String secretString) {
    if (secretString == null) {
      return Optional.empty();
    }
    if (config.jsonField() == null) {
      return Optional.of(secretString);
    }
    try {
      JsonNode v = JSON.readTree(secretString).get(config.jsonField());
      return v != null && v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }

  @Override
  public boolean supportsRestore() {
    return true;
  }

  /**
   * When {@code AWSCURRENT} holds {@code fingerprintToUndo}: moves {@code AWSCURRENT} back to the
   * {@code AWSPREVIOUS} version, or deletes the secret (per the recovery window) when there is no
   * previous version, since then Keyturn created it. Idempotent: does nothing when the current
   * version holds anything else.
   */
  @Override
  public StoreReceipt restorePrevious(String fingerprintToUndo) {
    Optional<GetSecretValueResponse> current = current();
    String currentFp = current.flatMap(v -> fingerprintOf(v.secretString())).orElse("");
    String currentVersion = current.map(GetSecretValueResponse::versionId).orElse("");
    if (!currentFp.equals(fingerprintToUndo)) {
      return receipt(currentVersion, "", currentFp, false);
    }
    Optional<String> previous = versionWith(PREVIOUS);
    if (previous.isEmpty()) {
      delete();
      return receipt("", currentVersion, "", true);
    }
    call(
        "move AWSCURRENT back on",
        () ->
            client.updateSecretVersionStage(
                r ->
                    r.secretId(config.secretId())
                        .versionStage(CURRENT)
                        .moveToVersionId(previous.get())
                        .removeFromVersionId(currentVersion)));
    String restoredFp =
        call(
                "read the restored version of",
                () ->
                    client.getSecretValue(
                        r -> r.secretId(config.secretId()).versionId(previous.get())))
            .secretString();
    String fp = fingerprintOf(restoredFp).orElse("");
    log.info(
        "restored {}: AWSCURRENT back on version {} ({})",
        location(),
        previous.get(),
        KeyRef.shortHash(fp));
    return receipt(previous.get(), currentVersion, fp, true);
  }

  /**
   * Deletes the secret with the configured recovery window (0: at once, without recovery).
   * Idempotent: a secret that does not exist or is already scheduled for deletion is done.
   */
  @Override
  public void delete() {
    Optional<DescribeSecretResponse> described = describe();
    if (described.isEmpty() || described.get().deletedDate() != null) {
      return;
    }
    try {
      client.deleteSecret(
          r -> {
            r.secretId(config.secretId());
            if (config.recoveryWindowDays() == 0) {
              r.forceDeleteWithoutRecovery(true);
            } else {
              r.recoveryWindowInDays((long) config.recoveryWindowDays());
            }
          });
      log.info("deleted {} (recovery window {} days)", location(), config.recoveryWindowDays());
    } catch (ResourceNotFoundException e) {
      // Gone between describe and delete: done.
    } catch (SdkException e) {
      throw failure("delete", e);
    }
  }

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }

  // ---------------------------------------------------------------- reads

  private Optional<DescribeSecretResponse> describe() {
    try {
      return Optional.of(client.describeSecret(r -> r.secretId(config.secretId())));
    } catch (ResourceNotFoundException e) {
      return Optional.empty();
    } catch (SdkException e) {
      throw failure("describe", e);
    }
  }

  private Optional<GetSecretValueResponse> current() {
    try {
      return Optional.of(
          client.getSecretValue(r -> r.secretId(config.secretId()).versionStage(CURRENT)));
    } catch (ResourceNotFoundException e) {
      return Optional.empty();
    } catch (InvalidRequestException e) {
      // Secrets Manager refuses reads of a secret scheduled for deletion: it has no current value.
      if (describe().map(d -> d.deletedDate() != null).orElse(true)) {
        return Optional.empty();
      }
      throw failure("read", e);
    } catch (SdkException e) {
      throw failure("read", e);
    }
  }

  private Optional<String> versionWith(String stage) {
    Map<String, List<String>> stages =
        describe().map(DescribeSecretResponse::versionIdsToStages).orElse(Map.of());
    return stages.entrySet().stream()
        .filter(e -> e.getValue().contains(stage))
        .map(Map.Entry::getKey)
        .findFirst();
  }

  private Optional<String> fingerprintOf(String secretString) {
    if (secretString == null) {
      return Optional.empty();
    }
    if (config.jsonField() == null) {
      return Optional.of(KeyMaterial.tokenHash(secretString));
    }
    try {
      JsonNode v = JSON.readTree(secretString).get(config.jsonField());
      return v != null && v.isTextual()
          ? Optional.of(KeyMaterial.tokenHash(v.asText()))
          : Optional.empty();
    } catch (JsonProcessingException e) {
      return Optional.empty();
    }
  }

  private String render(String currentString, String value) {
    if (config.jsonField() == null) {
      return value;
    }
    ObjectNode object = JsonNodeFactory.instance.objectNode();
    if (currentString != null && !currentString.isBlank()) {
      JsonNode tree;
      try {
        tree = JSON.readTree(currentString);
      } catch (JsonProcessingException e) {
        tree = null;
      }
      if (!(tree instanceof ObjectNode existing)) {
        throw StoreFailures.nonRetryable(
            RotationFailures.STORE_UNREADABLE,
            location()
                + " holds a secret string that is not a JSON object, so Keyturn will not rewrite"
                + " it as one: set no jsonField (plain string) or fix the secret",
            null);
      }
      object = existing;
    }
    object.put(config.jsonField(), value);
    return object.toString();
  }

  // ---------------------------------------------------------------- errors

  private <T> T call(String op, Supplier<T> request) {
    try {
      return request.get();
    } catch (SdkException e) {
      throw failure(op, e);
    }
  }

  private RuntimeException failure(String op, SdkException e) {
    String where = "AWS Secrets Manager could not " + op + " " + location();
    if (e instanceof SecretsManagerException sm && sm.awsErrorDetails() != null) {
      String code = sm.awsErrorDetails().errorCode();
      String detail =
          " (" + sm.statusCode() + " " + code + ": " + sm.awsErrorDetails().errorMessage() + ")";
      if (sm.statusCode() == 429 || sm.statusCode() >= 500 || "ThrottlingException".equals(code)) {
        return StoreFailures.transientFailure(where + detail, null);
      }
      if (sm.statusCode() == 403
          || List.of(
                  "AccessDeniedException",
                  "UnrecognizedClientException",
                  "InvalidSignatureException")
              .contains(code)) {
        return StoreFailures.nonRetryable(
            RotationFailures.STORE_DENIED,
            where
                + detail
                + ". The worker's AWS identity needs secretsmanager:DescribeSecret, GetSecretValue,"
                + " CreateSecret, PutSecretValue, UpdateSecretVersionStage, RestoreSecret and"
                + " DeleteSecret on "
                + config.secretId(),
            null);
      }
      if ("ResourceExistsException".equals(code)) {
        return StoreFailures.nonRetryable(
            RotationFailures.STORE_CONFLICT,
            where + detail + ": another writer is active. Find it before rotating again",
            null);
      }
      return StoreFailures.nonRetryable(RotationFailures.STORE_DENIED, where + detail, null);
    }
    if (e instanceof SdkClientException && String.valueOf(e.getMessage()).contains("credentials")) {
      return StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          where
              + ": the worker has no AWS credentials. Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
              + " AWS_PROFILE or an instance role for the worker",
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
   * Opens aws-secretsmanager destinations with the AWS SDK's default credential chain, on one SDK
   * client per region and endpoint kept for the worker's life (clients are thread-safe and costly
   * to build: credentials chain, HTTP pool).
   */
  @AutoService(SecretStoreProvider.class)
  public static final class Provider implements SecretStoreProvider<AwsSecretsManagerConfig> {
    @Override
    public StoreType<AwsSecretsManagerConfig> type() {
      return new AwsSecretsManagerConfig.Type();
    }

    @Override
    public SecretStore open(AwsSecretsManagerConfig config, StoreContext worker) {
      AwsCredentialsProvider credentials =
          worker.shared(TYPE + " credentials", () -> DefaultCredentialsProvider.builder().build());
      SecretsManagerClient client =
          worker.shared(
              TYPE + " " + config.region() + "|" + config.endpoint(),
              () -> newClient(config, credentials));
      return new AwsSecretsManagerStore(config, client, false);
    }
  }
}
