package io.keyturn.gateway.litellm;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What {@code POST /key/delete} answers: the keys it deleted, as they were given
 * (litellm/proxy/management_endpoints/key_management_endpoints.py, {@code delete_key_fn}).
 */
public record DeleteKeysResponse(@JsonProperty("deleted_keys") List<String> deletedKeys) {
  public DeleteKeysResponse {
    deletedKeys = deletedKeys == null ? List.of() : List.copyOf(deletedKeys);
  }
}
