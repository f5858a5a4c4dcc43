package io.keyturn.workflows.provider;

import java.util.List;

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

  /** Whether it is one value, which a secret store can hold for the proxy to read as api_key. */
  public boolean singleValue() {
    return litellmFields.size() == 1;
  }
}
