package io.keyturn.workflows.model;

import java.util.List;

/**
 * The result of a completed rotation. Keys appear only as references.
 *
 * @param publishedTo one receipt per destination, in the request's order (the first is the
 *     primary's)
 * @param emergency for an emergency rotation (a leaked key), when the leaked key was blocked and
 *     when the new key was published everywhere; null for a routine rotation
 */
public record RotationResult(
    String secretId,
    long generation,
    KeyRef oldKey,
    KeyRef newKey,
    String newKeyAlias,
    RevokeReceipt revoked,
    boolean revokedEarly,
    List<PublishReceipt> publishedTo,
    EmergencyReport emergency) {
  public RotationResult {
    publishedTo = publishedTo == null ? List.of() : List.copyOf(publishedTo);
  }

  /** The result of a routine rotation (no emergency). */
  public RotationResult(
      String secretId,
      long generation,
      KeyRef oldKey,
      KeyRef newKey,
      String newKeyAlias,
      RevokeReceipt revoked,
      boolean revokedEarly,
      List<PublishReceipt> publishedTo) {
    this(
        secretId,
        generation,
        oldKey,
        newKey,
        newKeyAlias,
        revoked,
        revokedEarly,
        publishedTo,
        null);
  }
}
