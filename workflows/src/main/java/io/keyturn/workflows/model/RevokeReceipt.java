package io.keyturn.workflows.model;

/**
 * The outcome of revoking the old key: {@code alreadyGone} when the proxy said "No keys found" (a
 * retried or repeated revoke), and {@code proofOfRejection} saying how the rejection was checked.
 */
public record RevokeReceipt(KeyRef key, boolean alreadyGone, String proofOfRejection) {}
