package io.keyturn.workflows.model;

/**
 * A key minted by Keyturn: its reference, alias, derivation (how the worker recomputes its value),
 * expiry (ISO-8601 or null) and whether a retried mint adopted a key the first attempt had created.
 */
public record MintedKey(
    KeyRef ref, String alias, KeyDerivation derivation, String expires, boolean adopted) {}
