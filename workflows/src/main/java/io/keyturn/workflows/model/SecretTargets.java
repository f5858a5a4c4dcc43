package io.keyturn.workflows.model;

import java.util.List;

/**
 * What the worker needs to know about one secret to judge the keys at its proxy: where it rotates
 * and where its key is published, as keyturn.yaml declares them (the CLI reads the file and passes
 * them on). Settings only: no key, no credential.
 *
 * @param policy the policy fields the file writes out, which the live key must carry; null when the
 *     file writes none (each rotation copies the live policy)
 */
public record SecretTargets(
    String secretId, String gatewayUrl, List<Destination> destinations, KeyPolicy policy) {
  public SecretTargets {
    destinations = destinations == null ? List.of() : List.copyOf(destinations);
  }
}
