package io.keyturn.workflows.model;

import io.keyturn.workflows.provider.ProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One rotation of the upstream provider key behind a LiteLLM model group, as declared under {@code
 * providerKeys:} in keyturn.yaml: the proxy ({@code gateway}), the {@code model_name} whose
 * deployments call the provider ({@code modelGroup}), where the new key comes from ({@code
 * provider}: a {@link ProviderType} name) with that provider's non-secret {@code settings} (an
 * OpenAI project id; an IAM user and region), how long both deployments serve before the old one
 * goes ({@code overlap}), the grace before the old key is revoked, and how long a {@code manual}
 * rotation waits for its key ({@code keyDeadline}). No key value: keys come from the provider (in
 * the worker) or sealed to the worker ({@code keyturn provide}).
 *
 * <p>With {@code secretStore} set, the proxy reads the key from a secret store ({@code
 * os.environ/NAME}) and the rotation publishes there instead of adding a deployment; {@code
 * overlap} then has no use, and {@code grace} must be longer than the proxy's secret cache.
 */
public record ProviderKeyRequest(
    String id,
    String gateway,
    String modelGroup,
    String provider,
    Map<String, String> settings,
    Duration overlap,
    Duration grace,
    Duration keyDeadline,
    String requestedBy,
    ProxySecretStore secretStore) {
  /** The workflow id prefix: {@code provider-key/<model group>}, one rotation per group. */
  public static final String WORKFLOW_PREFIX = "provider-key/";

  public ProviderKeyRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(gateway, "gateway");
    Objects.requireNonNull(modelGroup, "modelGroup");
    Objects.requireNonNull(provider, "provider");
    settings = settings == null ? Map.of() : Map.copyOf(settings);
    overlap = overlap == null ? Duration.ZERO : overlap;
    grace = grace == null ? Duration.ZERO : grace;
    keyDeadline = keyDeadline == null ? Duration.ofDays(1) : keyDeadline;
    if (secretStore != null && secretStore.graceProblem(grace) != null) {
      throw new IllegalArgumentException(
          "provider key '" + id + "': " + secretStore.graceProblem(grace));
    }
  }

  /** A rotation through dual deployments (the proxy stores the key with the deployment). */
  public ProviderKeyRequest(
      String id,
      String gateway,
      String modelGroup,
      String provider,
      Map<String, String> settings,
      Duration overlap,
      Duration grace,
      Duration keyDeadline,
      String requestedBy) {
    this(
        id,
        gateway,
        modelGroup,
        provider,
        settings,
        overlap,
        grace,
        keyDeadline,
        requestedBy,
        null);
  }

  /**
   * The name a new key gets at the provider: {@code keyturn-<model group>-<gateway tag>-<12 hex
   * nonce>}. The gateway tag (the first 6 hex of the SHA-256 of the gateway URL, without trailing
   * slashes, lowercased) keeps apart the keys of two proxies that serve a model group of the same
   * name from one provider project (staging and production), since a rotation revokes the keys
   * {@link #namesKeyOfThisGroup} recognises.
   */
  public String keyName(String nonce) {
    String gw = gateway.replaceAll("/+$", "").toLowerCase(java.util.Locale.ROOT);
    return "keyturn-"
        + modelGroup
        + "-"
        + io.keyturn.workflows.crypto.KeyMaterial.tokenHash(gw).substring(0, 6)
        + "-"
        + nonce;
  }

  /**
   * Whether {@code name} is one {@link #keyName} gave a key of this model group at this gateway.
   */
  public boolean namesKeyOfThisGroup(String name) {
    String prefix = keyName("");
    return name != null
        && name.startsWith(prefix)
        && name.substring(prefix.length()).matches("[0-9a-f]{12}");
  }

  /** Whether the proxy reads the key from a secret store ({@code os.environ/NAME}). */
  public boolean throughSecretStore() {
    return secretStore != null;
  }

  /** Keyed by model group, so two rotations of one group can never run at once (Temporal's id). */
  public String workflowId() {
    return workflowIdFor(modelGroup);
  }

  public static String workflowIdFor(String modelGroup) {
    return WORKFLOW_PREFIX + modelGroup;
  }

  /**
   * Whether a person makes and revokes this rotation's keys ({@code keyturn provide}, {@code
   * keyturn confirm-revoked}): a provider that is not {@link ProviderType#automated() automated}.
   * An unknown provider counts as automated, so the worker's first call refuses it by name.
   */
  public boolean manual() {
    return ProviderTypes.find(provider).map(t -> !t.automated()).orElse(false);
  }
}
