package io.keyturn.workflows.model;

/**
 * What {@code mintKey} needs: the proxy, the alias, the policy and the derivation context. The new
 * key's value is derived by the worker from one of its worker keys and {@code derivation}, so a
 * retried mint produces the same value and finds its own key instead of minting a second one; the
 * value never appears in history.
 */
public record MintRequest(
    String gatewayUrl,
    String alias,
    KeyPolicy policy,
    KeyDerivation derivation,
    String secretId,
    long generation,
    KeyRef replaces) {

  /** The same request with another derivation (the worker binds it to its current key). */
  public MintRequest withDerivation(KeyDerivation d) {
    return new MintRequest(gatewayUrl, alias, policy, d, secretId, generation, replaces);
  }
}
