package io.keyturn.gateway.litellm;

import java.util.List;

/**
 * The body of {@code POST /key/delete} (LiteLLM's {@code KeyRequest} in litellm/proxy/_types.py):
 * the keys to delete, by value or by sha256 hash; Keyturn always gives hashes.
 */
public record DeleteKeysRequest(List<String> keys) {
  public DeleteKeysRequest {
    keys = List.copyOf(keys);
  }
}
