package io.keyturn.workflows.model;

/** The result of a completed rotation. Keys appear only as references. */
public record RotationResult(
    String secretId,
    long generation,
    KeyRef oldKey,
    KeyRef newKey,
    String newKeyAlias,
    PublishReceipt published,
    RevokeReceipt revoked,
    boolean revokedEarly) {}
