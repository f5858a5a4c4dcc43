package io.keyturn.workflows.model;

/**
 * The outcome of revoking the old key: {@code alreadyGone} when this rotation's delete found no key
 * to delete (someone, or an earlier attempt whose reply was lost, deleted it first), and {@code
 * proofOfRejection} saying how the rejection was checked.
 */
public record RevokeReceipt(KeyRef key, boolean alreadyGone, String proofOfRejection) {}
