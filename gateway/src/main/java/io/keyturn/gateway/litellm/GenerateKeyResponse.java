package io.keyturn.gateway.litellm;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What {@code POST /key/generate} answers that Keyturn reads (LiteLLM's {@code GenerateKeyResponse}
 * in litellm/proxy/_types.py): the key's value and the sha256 hash it is stored under.
 */
public record GenerateKeyResponse(String key, @JsonProperty("token_id") String tokenId) {}
