package io.keyturn.workflows.model;

/**
 * What {@code mintKey} needs: the proxy, the alias, the policy and the derivation context. The new
 * key's value is derived by the worker from its secret and {@code derivation}, so a retried mint
 * produces the same value and finds its own key instead of minting a second one; the value never
 * appears in history.
 */
public record MintRequest(
    String gatewayUrl,
    String alias,
    KeyPolicy policy,
    KeyDerivation derivation,
    String secretId,
    long generation,
    KeyRef replaces) {}
