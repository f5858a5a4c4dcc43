package io.keyturn.workflows.model;

/**
 * What a publish left behind: the store location, the version now holding the new key, the version
 * it replaced (0 when the secret did not exist) and whether a write was needed at all (false when a
 * retried publish found the value already there).
 */
public record PublishReceipt(
    String location, long version, long previousVersion, boolean written) {}
