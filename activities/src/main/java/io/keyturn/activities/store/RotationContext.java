package io.keyturn.activities.store;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Which rotation writes a secret: its workflow id (the business key, {@code
 * rotation/<secret-id>/<generation>}) and its generation. Stores put both in their metadata, and
 * derive idempotency tokens from them so that a retried write is recognised as the same write.
 */
public record RotationContext(String workflowId, String generation) {
  public RotationContext {
    if (workflowId == null || workflowId.isBlank()) {
      throw new IllegalArgumentException(
          "workflowId must not be blank: pass the rotation's workflow id");
    }
    if (generation == null || generation.isBlank()) {
      throw new IllegalArgumentException(
          "generation must not be blank: pass the rotation's generation, e.g. \"g7\"");
    }
  }

  /**
   * A UUID that is the same for every attempt of this rotation and different for any other one: a
   * name-based UUID of the workflow id and generation.
   */
  public String idempotencyToken() {
    return UUID.nameUUIDFromBytes(
            ("keyturn/" + workflowId + "/" + generation).getBytes(StandardCharsets.UTF_8))
        .toString();
  }
}
