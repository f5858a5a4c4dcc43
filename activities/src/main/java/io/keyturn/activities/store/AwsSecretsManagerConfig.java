package io.keyturn.activities.store;

import java.net.URI;
import java.util.Map;
import java.util.Set;

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

  /**
   * Settings {@code secretId}, {@code region}, {@code endpoint}, {@code jsonField}, {@code
   * recoveryWindowDays} (default 7).
   */
  public static AwsSecretsManagerConfig fromSettings(Map<String, String> settings) {
    Settings.only(
        AwsSecretsManagerStore.TYPE,
        settings,
        Set.of("secretId", "region", "endpoint", "jsonField", "recoveryWindowDays"));
    String endpoint = settings.get("endpoint");
    URI uri;
    try {
      uri = endpoint == null || endpoint.isBlank() ? null : URI.create(endpoint.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "aws-secretsmanager store: 'endpoint' is not a URL: '" + endpoint + "'");
    }
    return new AwsSecretsManagerConfig(
        settings.get("secretId"),
        settings.get("region"),
        uri,
        settings.get("jsonField"),
        Settings.integer(AwsSecretsManagerStore.TYPE, settings, "recoveryWindowDays", 7));
  }
}
