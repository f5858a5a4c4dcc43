package io.keyturn.gateway.litellm;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One key of {@code GET /key/list?return_full_object=true} (a row of LiteLLM_VerificationToken,
 * litellm/proxy/management_endpoints/key_management_endpoints.py {@code _list_key_helper}): the
 * fields Keyturn reads. {@code token} is the key's hash, never its value.
 */
public record ListedKey(
    String token,
    @JsonProperty("key_alias") String keyAlias,
    @JsonProperty("key_name") String keyName,
    @JsonProperty("created_at") String createdAt,
    boolean blocked,
    Map<String, Object> metadata) {
  public ListedKey {
    metadata =
        metadata == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }
}
