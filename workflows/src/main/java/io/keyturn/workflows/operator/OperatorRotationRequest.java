package io.keyturn.workflows.operator;

import io.keyturn.workflows.model.Destination;
import java.time.Duration;
import java.util.List;

/**
 * A rotation through the LiteLLM operator.
 *
 * @param secretId the secret's id in keyturn.yaml
 * @param gatewayUrl the LiteLLM proxy the operator manages keys on (where the new key is verified)
 * @param virtualKey {@code <namespace>/<name>} of the VirtualKey keyturn.yaml names
 * @param destinations where the new key is published, in order
 * @param grace how long the old key keeps working after the new one is published
 * @param requestedBy who asked
 */
public record OperatorRotationRequest(
    String secretId,
    String gatewayUrl,
    String virtualKey,
    List<Destination> destinations,
    Duration grace,
    String requestedBy) {
  public OperatorRotationRequest {
    destinations = destinations == null ? List.of() : List.copyOf(destinations);
  }
}
