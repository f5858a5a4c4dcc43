package io.keyturn.workflows.provider;

import com.google.auto.service.AutoService;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code provider: manual}: a person creates the key in the provider's console and hands it to the
 * waiting rotation ({@code keyturn provide}), then revokes the old one there ({@code keyturn
 * confirm-revoked}). Works for any provider whose key is one API key, and, with {@code keyShape:
 * aws-access-key} and {@code region:}, for Bedrock deployments that call with a static access key
 * made by hand: the key handed in is then the JSON object {@code {"aws_access_key_id": ...,
 * "aws_secret_access_key": ...}}, checked with STS and shown by its access key id.
 */
@AutoService(ProviderType.class)
public final class ManualProviderType extends ProviderType {
  public static final String NAME = "manual";

  /** The optional setting choosing the shape of the keys handed in. */
  public static final String KEY_SHAPE = "keyShape";

  /** {@value #KEY_SHAPE}'s value for one API key, the default. */
  public static final String API_KEY = "api-key";

  /** {@value #KEY_SHAPE}'s value for an AWS access key pair (Bedrock). */
  public static final String AWS_ACCESS_KEY = "aws-access-key";

  public ManualProviderType() {
    super(
        NAME,
        "any provider: a person creates the key and hands it in with `keyturn provide`",
        false,
        KeyShape.API_KEY,
        new ProviderSetting(
            KEY_SHAPE,
            false,
            API_KEY + "|" + AWS_ACCESS_KEY,
            "what a key handed in is: "
                + API_KEY
                + " (one API key, the default) or "
                + AWS_ACCESS_KEY
                + " (Bedrock: the JSON object {\"aws_access_key_id\": ...,"
                + " \"aws_secret_access_key\": ...}, with region:)",
            "a key shape",
            "write " + API_KEY + " or " + AWS_ACCESS_KEY,
            AWS_ACCESS_KEY),
        AwsIamProviderType.region(false),
        AwsIamProviderType.endpoint());
  }

  @Override
  public KeyShape keyShape(Map<String, String> settings) {
    return aws(settings) ? KeyShape.AWS_ACCESS_KEY : KeyShape.API_KEY;
  }

  /** An AWS pair needs the deployments' region; the region and endpoint mean nothing otherwise. */
  @Override
  protected Problem check(Map<String, String> settings) {
    if (aws(settings) && settings.get(AwsIamProviderType.REGION) == null) {
      return new Problem(
          AwsIamProviderType.REGION,
          "provider manual with keyShape " + AWS_ACCESS_KEY + " needs region.",
          "add region: the AWS region of the Bedrock deployments (their aws_region_name).");
    }
    if (!aws(settings)) {
      for (String s : new String[] {AwsIamProviderType.REGION, AwsIamProviderType.ENDPOINT}) {
        if (settings.get(s) != null) {
          return new Problem(
              s,
              "provider manual takes " + s + " only with keyShape: " + AWS_ACCESS_KEY + ".",
              "remove " + s + ", or add keyShape: " + AWS_ACCESS_KEY + " for Bedrock keys.");
        }
      }
    }
    return null;
  }

  /** An AWS pair's Bedrock params carry {@code aws_region_name} too, as aws-iam's do. */
  @Override
  public Map<String, Object> litellmParams(Map<String, String> settings, String value) {
    Map<String, Object> params = new LinkedHashMap<>(super.litellmParams(settings, value));
    if (aws(settings)) {
      params.put("aws_region_name", settings.get(AwsIamProviderType.REGION));
    }
    return params;
  }

  private static boolean aws(Map<String, String> settings) {
    return settings != null && AWS_ACCESS_KEY.equals(settings.get(KEY_SHAPE));
  }
}
