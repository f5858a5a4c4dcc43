package io.keyturn.workflows.model;

import java.time.Duration;
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
 */
public record RotationRequest(
    String secretId,
    long generation,
    String gatewayUrl,
    KeyRef oldKey,
    SealedSecret oldKeySealed,
    VaultTarget vault,
    Duration gracePeriod,
    String requestedBy) {

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
    if (generation < 1) {
      throw new IllegalArgumentException("generation must be 1 or more, got " + generation);
    }
    if (gatewayUrl == null
        || !(gatewayUrl.startsWith("http://") || gatewayUrl.startsWith("https://"))) {
      throw new IllegalArgumentException(
          "gateway URL '" + gatewayUrl + "' must start with http:// or https://");
    }
    gatewayUrl = gatewayUrl.replaceAll("/+$", "");
    Objects.requireNonNull(oldKey, "oldKey: the key to replace must be given");
    Objects.requireNonNull(vault, "vault: a Vault KV v2 target must be given");
    Objects.requireNonNull(gracePeriod, "gracePeriod");
    if (gracePeriod.isNegative() || gracePeriod.compareTo(MAX_GRACE) > 0) {
      throw new IllegalArgumentException(
          "grace period " + gracePeriod + " must be between 0 and " + MAX_GRACE.toDays() + " days");
    }
    requestedBy = requestedBy == null || requestedBy.isBlank() ? "unknown" : requestedBy;
  }

  /**
   * The alias of the key this rotation mints. Deterministic, so a retried mint finds its own key.
   */
  public String newKeyAlias() {
    return "keyturn-" + secretId + "-g" + generation;
  }

  /** The business-key workflow id: one rotation per secret and generation. */
  public String workflowId() {
    return workflowId(secretId, generation);
  }

  public static String workflowId(String secretId, long generation) {
    return "rotation/" + secretId + "/" + generation;
  }
}
