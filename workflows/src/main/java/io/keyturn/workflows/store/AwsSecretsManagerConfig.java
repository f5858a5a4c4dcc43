package io.keyturn.workflows.store;

import com.google.auto.service.AutoService;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * An AWS Secrets Manager destination: the secret's {@code secretId} (name or ARN, e.g. {@code
 * litellm/svc-a}), the {@code region} (null: the SDK's default region chain, e.g. {@code
 * AWS_REGION}), an {@code endpoint} override (null for AWS itself; a local moto or LocalStack URL
 * in tests), the {@code jsonField} holding the key (null: the secret string is the plain key, as
 * LiteLLM writes and reads it) and the {@code recoveryWindowDays} a delete schedules (7 to 30; 0
 * deletes at once, without recovery). Credentials come from the SDK's default chain.
 */
public record AwsSecretsManagerConfig(
    String secretId, String region, URI endpoint, String jsonField, int recoveryWindowDays) {

  public static final String TYPE = "aws-secretsmanager";

  public AwsSecretsManagerConfig {
    if (secretId == null || secretId.isBlank()) {
      throw new IllegalArgumentException(
          "aws-secretsmanager store: 'secretId' must name the secret, e.g. litellm/svc-a");
    }
    secretId = secretId.trim();
    if (!secretId.matches("[A-Za-z0-9/_+=.@:-]{1,2048}")) {
      throw new IllegalArgumentException(
          "aws-secretsmanager store: 'secretId' may hold only letters, digits and /_+=.@-:, got '"
              + secretId
              + "'");
    }
    region = region == null || region.isBlank() ? null : region.trim();
    if (region != null && !region.matches("[a-z]{2}(-[a-z]+)+-\\d+")) {
      throw new IllegalArgumentException(
          "aws-secretsmanager store: 'region' must be a region code such as eu-west-1, got '"
              + region
              + "'");
    }
    if (endpoint != null
        && (endpoint.getScheme() == null
            || !endpoint.getScheme().matches("https?")
            || endpoint.getHost() == null)) {
      throw new IllegalArgumentException(
          "aws-secretsmanager store: 'endpoint' must be an http(s) URL such as"
              + " http://127.0.0.1:5000, or unset for AWS itself; got '"
              + endpoint
              + "'");
    }
    jsonField = jsonField == null || jsonField.isBlank() ? null : jsonField;
    if (recoveryWindowDays != 0 && (recoveryWindowDays < 7 || recoveryWindowDays > 30)) {
      throw new IllegalArgumentException(
          "aws-secretsmanager store: 'recoveryWindowDays' must be 0 (delete at once) or 7 to 30,"
              + " got "
              + recoveryWindowDays);
    }
  }

  /** A plain-string secret in {@code region} with AWS's default 7-day recovery window. */
  public static AwsSecretsManagerConfig plain(String secretId, String region) {
    return new AwsSecretsManagerConfig(secretId, region, null, null, 7);
  }

  /** {@code <region>:<secretId>[#<field>]}, e.g. {@code eu-west-1:litellm/svc-a}. */
  public String describe() {
    return region + ":" + secretId + (jsonField == null ? "" : "#" + jsonField);
  }

  /** The {@value #TYPE} store type. */
  @AutoService(StoreType.class)
  public static final class Type extends StoreType<AwsSecretsManagerConfig> {
    public Type() {
      super(
          TYPE,
          "AWS Secrets Manager: the new value is staged AWSPENDING with a ClientRequestToken"
              + " derived from the rotation, then promoted to AWSCURRENT; a plain string (LiteLLM's"
              + " format) unless 'field' makes it JSON; credentials from the worker's AWS default"
              + " chain.",
          StoreSetting.required("secretId", "the secret's name or ARN, e.g. litellm/svc-a")
              .matching("[A-Za-z0-9/_+=.@:-]{1,2048}"),
          StoreSetting.required("region", "an AWS region code such as eu-west-1")
              .matching("[a-z]{2}(-[a-z]+)+-[0-9]+"),
          StoreSetting.optional(
                  "endpoint", null, "an http(s) URL for another endpoint than AWS's own")
              .matching("https?://.+"),
          StoreSetting.optional(
              "field", null, "a JSON field to hold the key (absent: the plain key string)"),
          StoreSetting.optional(
                  "recoveryWindowDays",
                  "7",
                  "the recovery window a delete schedules: 0 (at once) or 7 to 30 days")
              .wholeNumber());
    }

    @Override
    protected AwsSecretsManagerConfig build(Map<String, String> v) {
      String endpoint = v.get("endpoint");
      URI uri;
      try {
        uri = endpoint == null ? null : URI.create(endpoint);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "aws-secretsmanager store: 'endpoint' is not a URL: '" + endpoint + "'");
      }
      return new AwsSecretsManagerConfig(
          v.get("secretId"),
          v.get("region"),
          uri,
          v.get("field"),
          Integer.parseInt(v.getOrDefault("recoveryWindowDays", "7")));
    }

    @Override
    public String describe(AwsSecretsManagerConfig c) {
      return c.describe();
    }

    @Override
    public Problem checkFromHere(
        AwsSecretsManagerConfig c, Map<String, String> env, Duration timeout) {
      if (c.endpoint() == null) {
        return null; // AWS's own endpoint: its credentials are the worker's, not this machine's
      }
      String err = answers(c.endpoint().toString(), timeout);
      return err == null
          ? null
          : new Problem(
              "endpoint",
              "AWS Secrets Manager at " + c.endpoint() + " cannot be reached: " + err + ".",
              "check the endpoint, or drop it to use AWS's own for the region.");
    }
  }
}
