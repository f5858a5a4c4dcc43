package io.keyturn.workflows.model;

/**
 * A master key as history may hold it: its reference (hash and {@code sk-…} fingerprint) and either
 * its value sealed to a worker key (the current key, read by the worker) or its derivation (the new
 * key, computed by the worker). Only the worker can open either.
 */
public record MasterKey(KeyRef ref, SealedSecret sealed, KeyDerivation derivation) {
  public MasterKey {
    if ((sealed == null) == (derivation == null)) {
      throw new IllegalArgumentException("a master key is either sealed or derived");
    }
  }

  public String fingerprint() {
    return ref.fingerprint();
  }

  @Override
  public String toString() {
    return "MasterKey[" + ref.fingerprint() + "]";
  }
}
