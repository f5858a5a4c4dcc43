package io.keyturn.gateway.litellm;

import com.fasterxml.jackson.annotation.JsonAnyGetter;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The body of {@code POST /key/generate} (LiteLLM's {@code GenerateKeyRequest} in
 * litellm/proxy/_types.py): the new key's policy, field by field as it is given (a copied policy is
 * open-ended: budgets, limits, models, tags ... pass through untouched, an explicit null included),
 * and the fields the caller sets itself, written only when set.
 *
 * @param policy the policy fields; where it has a field a component below sets, the component wins
 * @param key the key's value, or null: LiteLLM generates one (or takes the policy's)
 * @param keyAlias the alias, or null: the policy's, if it has one
 * @param metadata the metadata, or null: the policy's, if it has one
 */
public record GenerateKeyRequest(
    @JsonIgnore Map<String, Object> policy,
    @JsonInclude(JsonInclude.Include.NON_NULL) String key,
    @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("key_alias") String keyAlias,
    @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> metadata) {

  public GenerateKeyRequest {
    Map<String, Object> fields = new LinkedHashMap<>(policy == null ? Map.of() : policy);
    if (key != null) {
      fields.remove("key");
    }
    if (keyAlias != null) {
      fields.remove("key_alias");
    }
    if (metadata != null) {
      fields.remove("metadata");
    }
    policy = Collections.unmodifiableMap(fields);
    metadata = metadata == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /** A key LiteLLM generates, with this policy and nothing else. */
  public static GenerateKeyRequest withPolicy(Map<String, Object> policy) {
    return new GenerateKeyRequest(policy, null, null, null);
  }

  /** The policy fields, written beside the components. */
  @JsonAnyGetter
  Map<String, Object> policyFields() {
    return policy;
  }
}
