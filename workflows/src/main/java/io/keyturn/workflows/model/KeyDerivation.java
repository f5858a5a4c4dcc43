package io.keyturn.workflows.model;

import java.util.Objects;

/**
 * The public half of a minted key's derivation: the worker computes the key value as an HMAC of
 * these fields under its own secret. Safe in history: without the worker's secret it reveals
 * nothing about the key.
 */
public record KeyDerivation(String workflowId, String alias, String nonce) {
  public KeyDerivation {
    Objects.requireNonNull(workflowId, "workflowId");
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(nonce, "nonce");
  }
}
