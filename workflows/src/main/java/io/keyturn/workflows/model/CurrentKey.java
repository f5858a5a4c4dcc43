package io.keyturn.workflows.model;

/**
 * The key a store holds now, as a reference and sealed (AES-GCM under the Keyturn secret), so a
 * scheduled rotation can replace exactly the key its predecessor published without the value
 * entering history. {@code location} says where it was read, with the store's version.
 */
public record CurrentKey(KeyRef ref, SealedSecret sealed, String location) {}
