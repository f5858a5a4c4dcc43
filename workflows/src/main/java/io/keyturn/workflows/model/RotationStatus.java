package io.keyturn.workflows.model;

/**
 * What the {@code status} query answers. Keys appear only as fingerprints. Times are ISO-8601 UTC
 * strings (null when not reached yet).
 */
public record RotationStatus(
    String secretId,
    long generation,
    RotationPhase phase,
    String oldKey,
    String newKey,
    String newKeyAlias,
    String publishedTo,
    String graceEndsAt,
    boolean revokeNowRequested,
    String message) {}
