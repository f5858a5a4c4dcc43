package io.keyturn.workflows.model;

import java.util.List;

/**
 * The result of a completed rotation. Keys appear only as references.
 *
 * @param publishedTo one receipt per destination, in the request's order (the first is the
 *     primary's)
 */
public record RotationResult(
    String secretId,
    long generation,
    KeyRef oldKey,
    KeyRef newKey,
    String newKeyAlias,
    RevokeReceipt revoked,
    boolean revokedEarly,
    List<PublishReceipt> publishedTo) {
  public RotationResult {
    publishedTo = publishedTo == null ? List.of() : List.copyOf(publishedTo);
  }
}
