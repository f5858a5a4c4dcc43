package io.keyturn.activities.operator;

import java.util.List;

/**
 * Which VirtualKey objects of the LiteLLM Kubernetes operator claim a key alias. The operator finds
 * "its" key at the proxy by {@code spec.keyAlias} alone and mints a fresh one under that alias when
 * none is left, so a key whose alias a VirtualKey names must not be revoked by a plain rotation.
 */
public interface VirtualKeyClaims {
  /** No Kubernetes access: nothing is known to claim any alias. */
  VirtualKeyClaims NONE = alias -> List.of();

  /**
   * The VirtualKey objects ({@code namespace/name}) whose {@code spec.keyAlias} is {@code alias},
   * empty when none does. Throws a retryable failure when the cluster cannot be asked.
   */
  List<String> claiming(String alias);
}
