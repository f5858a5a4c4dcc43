package io.keyturn.workflows.model;

/** How a master-key rotation that did not fail ended: the new key in use everywhere. */
public record MasterKeyResult(
    String id, String oldKey, String newKey, int storedModels, int credentials, String summary) {}
