package io.keyturn.workflows.model;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One rotation of one LiteLLM virtual key: which key to replace, on which proxy, where to publish
 * the new one and how long the old one stays valid after that. Build one with {@link
 * #builder(String)}, or change a field of one with {@link #toBuilder()}.
 *
 * @param secretId the managed secret's id (letters, digits, '.', '_', '-'); part of the workflow id
 *     and of the new key's alias
 * @param generation the rotation number of this secret; the new key's alias is {@code
 *     keyturn-<secretId>-g<generation>}; 0 is assigned from the start time
 * @param gatewayUrl the LiteLLM proxy base URL; its management key lives in the worker's config
 * @param oldKey the key being replaced, by token hash
 * @param oldKeySealed optionally the old key's value, sealed, so revoke can prove the old key is
 *     rejected as a bearer; null when the rotation was started from a token hash
 * @param gracePeriod how long the old key keeps working after the new one is published
 * @param requestedBy who or what started the rotation (for the audit trail)
 * @param destinations where the new key is published, at least one, the first being the primary
 * @param policy the new key's policy written out; null imports the replaced key's policy
 * @param chainFromStore a scheduled rotation: the key to replace is the one the primary destination
 *     holds (the one its predecessor published); {@code oldKey} is used only while it holds none
 * @param verifyModels null or true: verify compares /v1/models with the policy's models
 * @param emergency the key to replace has leaked: it is blocked at the proxy before anything is
 *     minted, and deleted right after the new key is published everywhere (no grace period); see
 *     {@link io.keyturn.workflows.EmergencyRotation}
 * @param drain when the revoke waits for the old key's traffic to stop; null: {@link
 *     DrainPolicy#DEFAULT}
 * @param managementKey the key rotated is the management key the worker itself uses: verify runs
 *     the gateway check with the new key, and the revoke waits until the worker reads the new key
 */
public record RotationRequest(
    String secretId,
    long generation,
    String gatewayUrl,
    KeyRef oldKey,
    SealedSecret oldKeySealed,
    Duration gracePeriod,
    String requestedBy,
    List<Destination> destinations,
    KeyPolicy policy,
    boolean chainFromStore,
    Boolean verifyModels,
    boolean emergency,
    DrainPolicy drain,
    boolean managementKey) {

  private static final Pattern SECRET_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  public static final Duration MAX_GRACE = Duration.ofDays(90);

  public RotationRequest {
    if (secretId == null || !SECRET_ID.matcher(secretId).matches()) {
      throw new IllegalArgumentException(
          "secret id '"
              + secretId
              + "' is not valid: use 1-63 letters, digits, '.', '_' or '-', starting with a letter"
              + " or digit");
    }
    if (generation < 0) {
      throw new IllegalArgumentException(
          "generation must be 1 or more (0: assigned from the start time), got " + generation);
    }
    if (gatewayUrl == null
        || !(gatewayUrl.startsWith("http://") || gatewayUrl.startsWith("https://"))) {
      throw new IllegalArgumentException(
          "gateway URL '" + gatewayUrl + "' must start with http:// or https://");
    }
    gatewayUrl = gatewayUrl.replaceAll("/+$", "");
    if (oldKey == null && !chainFromStore) {
      throw new IllegalArgumentException("oldKey: the key to replace must be given");
    }
    destinations = destinations == null ? List.of() : List.copyOf(destinations);
    if (destinations.isEmpty()) {
      throw new IllegalArgumentException(
          "destinations: name at least one place to publish the new key");
    }
    Objects.requireNonNull(gracePeriod, "gracePeriod");
    if (gracePeriod.isNegative() || gracePeriod.compareTo(MAX_GRACE) > 0) {
      throw new IllegalArgumentException(
          "grace period " + gracePeriod + " must be between 0 and " + MAX_GRACE.toDays() + " days");
    }
    requestedBy = requestedBy == null || requestedBy.isBlank() ? "unknown" : requestedBy;
  }

  /** A request for {@code secretId}; the builder's {@link Builder#build()} validates it. */
  public static Builder builder(String secretId) {
    return new Builder().secretId(secretId);
  }

  /** A builder holding this request's fields, to change some of them. */
  public Builder toBuilder() {
    return new Builder()
        .secretId(secretId)
        .generation(generation)
        .gatewayUrl(gatewayUrl)
        .oldKey(oldKey, oldKeySealed)
        .gracePeriod(gracePeriod)
        .requestedBy(requestedBy)
        .destinations(destinations)
        .policy(policy)
        .chainFromStore(chainFromStore)
        .verifyModels(verifyModels)
        .emergency(emergency)
        .drain(drain)
        .managementKey(managementKey);
  }

  /** The drain gate's policy: the one given, else {@link DrainPolicy#DEFAULT}. */
  public DrainPolicy drainPolicy() {
    return drain == null ? DrainPolicy.DEFAULT : drain;
  }

  /** The same request with the generation assigned and the key to replace resolved. */
  public RotationRequest resolved(long gen, KeyRef old, SealedSecret sealed) {
    return toBuilder().generation(gen).oldKey(old, sealed).build();
  }

  /**
   * The alias of the key this rotation mints. Deterministic, so a retried mint finds its own key.
   */
  public String newKeyAlias() {
    return "keyturn-" + secretId + "-g" + generation;
  }

  /**
   * The business-key workflow id, {@code rotation/<secret-id>}: every rotation of a secret runs
   * under it, so Temporal itself refuses a second while one runs (runs that have closed do not
   * block a new one). The generation tells the runs apart (search attribute, alias).
   */
  public String workflowId() {
    return workflowId(secretId);
  }

  public static String workflowId(String secretId) {
    return "rotation/" + secretId;
  }

  private static final DateTimeFormatter GENERATION =
      DateTimeFormatter.ofPattern("yyyyMMddHHmmss").withZone(ZoneOffset.UTC);

  /**
   * The generation a rotation started at {@code at} takes when none was given: the UTC time as
   * {@code yyyyMMddHHmmss}, so generations sort by start time and read as one.
   */
  public static long generationAt(Instant at) {
    return Long.parseLong(GENERATION.format(at));
  }

  /**
   * Collects a request's fields by name; {@link #build()} checks them all (the record's
   * constructor). Defaults: generation 0 (assigned at start), no sealed old key, the replaced key's
   * policy, models verified.
   */
  public static final class Builder {
    private String secretId;
    private long generation;
    private String gatewayUrl;
    private KeyRef oldKey;
    private SealedSecret oldKeySealed;
    private Duration gracePeriod;
    private String requestedBy;
    private List<Destination> destinations = List.of();
    private KeyPolicy policy;
    private boolean chainFromStore;
    private Boolean verifyModels;
    private boolean emergency;
    private DrainPolicy drain;
    private boolean managementKey;

    private Builder() {}

    public Builder secretId(String secretId) {
      this.secretId = secretId;
      return this;
    }

    public Builder generation(long generation) {
      this.generation = generation;
      return this;
    }

    public Builder gatewayUrl(String gatewayUrl) {
      this.gatewayUrl = gatewayUrl;
      return this;
    }

    /** The key to replace and, optionally (may be null), its value sealed for the worker. */
    public Builder oldKey(KeyRef oldKey, SealedSecret sealed) {
      this.oldKey = oldKey;
      this.oldKeySealed = sealed;
      return this;
    }

    public Builder oldKey(KeyRef oldKey) {
      return oldKey(oldKey, null);
    }

    public Builder gracePeriod(Duration gracePeriod) {
      this.gracePeriod = gracePeriod;
      return this;
    }

    public Builder requestedBy(String requestedBy) {
      this.requestedBy = requestedBy;
      return this;
    }

    public Builder destinations(List<Destination> destinations) {
      this.destinations = destinations;
      return this;
    }

    public Builder destinations(Destination... destinations) {
      return destinations(List.of(destinations));
    }

    public Builder policy(KeyPolicy policy) {
      this.policy = policy;
      return this;
    }

    public Builder chainFromStore(boolean chainFromStore) {
      this.chainFromStore = chainFromStore;
      return this;
    }

    public Builder verifyModels(Boolean verifyModels) {
      this.verifyModels = verifyModels;
      return this;
    }

    /** A leaked key: blocked first, deleted right after publish, no grace period. */
    public Builder emergency(boolean emergency) {
      this.emergency = emergency;
      return this;
    }

    /** When the revoke waits for the old key's traffic to stop; null for the default. */
    public Builder drain(DrainPolicy drain) {
      this.drain = drain;
      return this;
    }

    /** Whether the key rotated is the worker's own management key. */
    public Builder managementKey(boolean managementKey) {
      this.managementKey = managementKey;
      return this;
    }

    /**
     * The request.
     *
     * @throws IllegalArgumentException naming the first field that is not valid
     */
    public RotationRequest build() {
      return new RotationRequest(
          secretId,
          generation,
          gatewayUrl,
          oldKey,
          oldKeySealed,
          gracePeriod,
          requestedBy,
          destinations,
          policy,
          chainFromStore,
          verifyModels,
          emergency,
          drain,
          managementKey);
    }
  }
}
