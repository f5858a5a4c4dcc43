package io.keyturn.workflows.model;

/**
 * An upstream provider key as history may hold it: its reference (a SHA-256 and a display
 * fingerprint), its value sealed to a worker key, and the provider's id for it where the provider
 * has one (an OpenAI service account id), which is what revoking it needs.
 */
public record ProviderKey(KeyRef ref, SealedSecret sealed, String providerId) {
  public String fingerprint() {
    return ref.fingerprint();
  }

  @Override
  public String toString() {
    return "ProviderKey[" + ref.fingerprint() + "]";
  }
}
