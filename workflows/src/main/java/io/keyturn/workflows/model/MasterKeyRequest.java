package io.keyturn.workflows.model;

import java.util.List;
import java.util.Objects;

/**
 * One rotation of a LiteLLM proxy's master key ({@code LITELLM_MASTER_KEY}), as declared in
 * keyturn.yaml: the proxy ({@code gateway}), where the proxy reads its master key ({@code
 * destinations}; the first is where the current key is read from), whether the proxy sets {@code
 * LITELLM_SALT_KEY} (then stored values are not re-encrypted), how the proxy is restarted, and
 * which Deployments that cache the master key (the LiteLLM operator...) are restarted once the
 * proxy runs the new key ({@code alsoRestart}). No key value: the worker reads the current key from
 * the first destination and derives the new one.
 */
public record MasterKeyRequest(
    String id,
    String gateway,
    List<Destination> destinations,
    boolean saltKey,
    RestartSpec restart,
    String requestedBy,
    List<RestartTarget> alsoRestart) {
  /** The workflow id prefix: {@code master-key/<id>}. */
  public static final String WORKFLOW_PREFIX = "master-key/";

  public MasterKeyRequest {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(gateway, "gateway");
    Objects.requireNonNull(restart, "restart");
    destinations = List.copyOf(destinations);
    alsoRestart = alsoRestart == null ? List.of() : List.copyOf(alsoRestart);
    if (destinations.isEmpty()) {
      throw new IllegalArgumentException(
          "a master-key rotation needs at least one destination: where the proxy reads its key");
    }
  }

  /** A rotation that restarts nothing but the proxy. */
  public MasterKeyRequest(
      String id,
      String gateway,
      List<Destination> destinations,
      boolean saltKey,
      RestartSpec restart,
      String requestedBy) {
    this(id, gateway, destinations, saltKey, restart, requestedBy, List.of());
  }

  public String workflowId() {
    return WORKFLOW_PREFIX + id;
  }

  /**
   * The workflow id an operator means by {@code given}: {@code master-key/<id>}, or just the id.
   */
  public static String workflowIdOf(String given) {
    return given.startsWith(WORKFLOW_PREFIX) ? given : WORKFLOW_PREFIX + given;
  }
}
