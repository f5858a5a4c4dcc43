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
 * the new one and how long the old one stays valid after that.
 *
 * @param secretId the managed secret's id (letters, digits, '.', '_', '-'); part of the workflow id
 *     and of the new key's alias
 * @param generation the rotation number of this secret; the new key's alias is {@code
 *     keyturn-<secretId>-g<generation>}
 * @param gatewayUrl the LiteLLM proxy base URL; its management key lives in the worker's config
 * @param oldKey the key being replaced, by token hash
 * @param oldKeySealed optionally the old key's value, sealed, so revoke can prove the old key is
 *     rejected as a bearer; null when the rotation was started from a token hash
 * @param vault where the new key is published
 * @param gracePeriod how long the old key keeps working after the new one is published
 * @param requestedBy who or what started the rotation (for the audit trail)
 * @param destinations where the new key is published, the first being the primary; when given,
 *     {@code vault} is ignored (v1 requests have only {@code vault})
 * @param policy the new key's policy written out; null imports the replaced key's policy
 * @param chainFromStore a scheduled rotation: the key to replace is the one the primary destination
 *     holds (the one its predecessor published); {@code oldKey} is used only while it holds none
 * @param verifyModels null or true: verify compares /v1/models with the policy's models
 */
public record RotationRequest(
    String secretId,
    long generation,
    String gatewayUrl,
    KeyRef oldKey,
    SealedSecret oldKeySealed,
    VaultTarget vault,
    Duration gracePeriod,
    String requestedBy,
    List<Destination> destinations,
    KeyPolicy policy,
    boolean chainFromStore,
    Boolean verifyModels) {

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
    if (vault == null && destinations.isEmpty()) {
      throw new IllegalArgumentException(
          "destinations: name at least one place to publish the new key");
    }
    if (chainFromStore && destinations.isEmpty()) {
      throw new IllegalArgumentException(
          "chainFromStore needs destinations: the primary one holds the key to replace");
    }
    Objects.requireNonNull(gracePeriod, "gracePeriod");
    if (gracePeriod.isNegative() || gracePeriod.compareTo(MAX_GRACE) > 0) {
      throw new IllegalArgumentException(
          "grace period " + gracePeriod + " must be between 0 and " + MAX_GRACE.toDays() + " days");
    }
    requestedBy = requestedBy == null || requestedBy.isBlank() ? "unknown" : requestedBy;
  }

  /** A v1 request (one Vault target, the replaced key's policy): the shape of older histories. */
  public RotationRequest(
      String secretId,
      long generation,
      String gatewayUrl,
      KeyRef oldKey,
      SealedSecret oldKeySealed,
      VaultTarget vault,
      Duration gracePeriod,
      String requestedBy) {
    this(
        secretId,
        generation,
        gatewayUrl,
        oldKey,
        oldKeySealed,
        vault,
        gracePeriod,
        requestedBy,
        null,
        null,
        false,
        null);
  }

  /** The destinations to publish to: {@code destinations}, or the v1 {@code vault} as one. */
  public List<Destination> publishTo() {
    return destinations.isEmpty() ? List.of(Destination.of(vault)) : destinations;
  }

  /** True when the request names destinations (the v2 shape) rather than one Vault target. */
  public boolean usesDestinations() {
    return !destinations.isEmpty();
  }

  /** The same request with the generation assigned and the key to replace resolved. */
  public RotationRequest resolved(long gen, KeyRef old, SealedSecret sealed) {
    return new RotationRequest(
        secretId,
        gen,
        gatewayUrl,
        old,
        sealed,
        vault,
        gracePeriod,
        requestedBy,
        destinations,
        policy,
        chainFromStore,
        verifyModels);
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
}
