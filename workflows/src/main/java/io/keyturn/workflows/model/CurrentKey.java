package io.keyturn.workflows.model;

/**
 * The key a store holds now, as a reference and sealed to the worker's public key ({@link
 * SealedSecret}: only the worker can open it), so a scheduled rotation can replace exactly the key
 * its predecessor published without the value entering history. {@code location} says where it was
 * read, with the store's version.
 */
public record CurrentKey(KeyRef ref, SealedSecret sealed, String location) {}
