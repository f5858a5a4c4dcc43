package io.keyturn.workflows.model;

import java.util.List;

/** The result of a completed rotation. Keys appear only as references. */
public record RotationResult(
    String secretId,
    long generation,
    KeyRef oldKey,
    KeyRef newKey,
    String newKeyAlias,
    PublishReceipt published,
    RevokeReceipt revoked,
    boolean revokedEarly,
    List<PublishReceipt> publishedTo) {

  /** A v1 result: one destination. */
  public RotationResult(
      String secretId,
      long generation,
      KeyRef oldKey,
      KeyRef newKey,
      String newKeyAlias,
      PublishReceipt published,
      RevokeReceipt revoked,
      boolean revokedEarly) {
    this(
        secretId,
        generation,
        oldKey,
        newKey,
        newKeyAlias,
        published,
        revoked,
        revokedEarly,
        published == null ? List.of() : List.of(published));
  }
}
