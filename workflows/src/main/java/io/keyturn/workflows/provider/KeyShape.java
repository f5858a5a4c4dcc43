package io.keyturn.workflows.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.workflows.crypto.KeyMaterial;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one provider key is, as a deployment's {@code litellm_params} carry it: one value ({@code
 * api_key}), or an AWS access key pair. A rotation through a secret store ({@code secretStore:})
 * publishes one value the proxy reads as {@code api_key: os.environ/NAME}, so only {@link #API_KEY}
 * keys can go that way.
 */
public enum KeyShape {
  /** One secret value, {@code api_key} of the deployment. */
  API_KEY("one API key", List.of("api_key")),
  /**
   * An IAM access key: its id and secret, sealed as the JSON object {@code {"aws_access_key_id":
   * ..., "aws_secret_access_key": ...}}; LiteLLM's Bedrock params.
   */
  AWS_ACCESS_KEY(
      "a pair (access key id and secret)", List.of("aws_access_key_id", "aws_secret_access_key"));

  private final String description;
  private final List<String> litellmFields;

  KeyShape(String description, List<String> litellmFields) {
    this.description = description;
    this.litellmFields = litellmFields;
  }

  /** How people read it: {@code one API key}, {@code a pair (access key id and secret)}. */
  public String description() {
    return description;
  }

  /** The {@code litellm_params} fields that carry the secret in a deployment. */
  public List<String> litellmFields() {
    return litellmFields;
  }

  /**
   * The {@code litellm_params} entries that carry the key {@code value} (a sealed value, opened in
   * the worker): {@code api_key}, or the pair's two fields. They go only into a {@code /model/new}
   * body, never into a log or a return value.
   *
   * @throws IllegalArgumentException when {@code value} is not of this shape; the message holds no
   *     part of the value
   */
  public Map<String, Object> secretParams(String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException("the key is empty");
    }
    if (singleValue()) {
      return Map.of(litellmFields.get(0), value);
    }
    JsonNode n;
    try {
      n = JSON.readTree(value);
    } catch (Exception e) {
      n = null;
    }
    Map<String, Object> out = new LinkedHashMap<>();
    for (String field : litellmFields) {
      String v = n == null || !n.isObject() ? "" : n.path(field).asText("");
      if (v.isEmpty()) {
        throw new IllegalArgumentException(
            "a key of this provider is a JSON object with "
                + String.join(" and ", litellmFields)
                + "; this one is not");
      }
      out.put(field, v);
    }
    return out;
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * How people see a key of this shape, the {@code keyName} of its {@code KeyRef}: an API key as
   * {@code sk-...} and its last four characters ({@link KeyMaterial#keyName}); a pair by its access
   * key id ({@link #showAccessKeyId}), never a character of its secret.
   *
   * @throws IllegalArgumentException when {@code value} is not of this shape; the message holds no
   *     part of the value
   */
  public String displayName(String value) {
    if (singleValue()) {
      secretParams(value);
      return KeyMaterial.keyName(value);
    }
    return showAccessKeyId((String) secretParams(value).get("aws_access_key_id"));
  }

  /**
   * How people see an access key {@code id} (not a secret): its first and last four characters,
   * {@code AKIA…WXYZ}; an id shorter than 12 characters as it is.
   */
  public static String showAccessKeyId(String id) {
    if (id == null || id.length() < 12) {
      return String.valueOf(id);
    }
    return id.substring(0, 4) + "…" + id.substring(id.length() - 4);
  }

  /** Whether it is one value, which a secret store can hold for the proxy to read as api_key. */
  public boolean singleValue() {
    return litellmFields.size() == 1;
  }
}
