package io.keyturn.workflows.provider;

import com.google.auto.service.AutoService;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code provider: aws-iam}: access keys of one IAM user ({@value #IAM_USER}) that a model group's
 * Bedrock deployments call with in {@value #REGION}, made and deleted by the worker with its own
 * AWS identity; {@value #ENDPOINT} points IAM and STS elsewhere (an emulator, a VPC endpoint). A
 * key is an access key pair, so it goes through dual deployments only.
 */
@AutoService(ProviderType.class)
public final class AwsIamProviderType extends ProviderType {
  public static final String NAME = "aws-iam";

  /** The setting naming the IAM user whose access keys the deployments call with. */
  public static final String IAM_USER = "iamUser";

  /** The setting naming the AWS region ({@code aws_region_name}; STS is asked there). */
  public static final String REGION = "region";

  /** The optional setting with one endpoint URL for IAM and STS. */
  public static final String ENDPOINT = "endpoint";

  public AwsIamProviderType() {
    super(
        NAME,
        "an access key of an IAM user, for Bedrock deployments, made with the worker's AWS"
            + " identity",
        true,
        KeyShape.AWS_ACCESS_KEY,
        ProviderSetting.required(
            IAM_USER,
            "[\\w+=,.@-]{1,64}",
            "the IAM user whose access keys the model group's Bedrock deployments call with."
                + " Dedicate it to this entry: Keyturn makes and deletes its keys (IAM allows two"
                + " per user).",
            "an IAM user name",
            "write the user's name (1-64 of letters, digits and +=,.@_-), not its ARN",
            "litellm-bedrock"),
        region(true),
        endpoint());
  }

  /**
   * {@value #REGION}, as aws-iam and a {@code manual} entry of AWS access keys declare it: {@code
   * aws_region_name} of the Bedrock deployments, where STS checks a new key.
   */
  static ProviderSetting region(boolean required) {
    return new ProviderSetting(
        REGION,
        required,
        "[a-z0-9-]{2,40}",
        "the AWS region of the Bedrock deployments (their aws_region_name); STS checks new"
            + " keys there.",
        "an AWS region",
        "write it like us-east-1",
        "us-east-1");
  }

  /** {@value #ENDPOINT}, optional, as aws-iam and a {@code manual} entry of AWS keys take it. */
  static ProviderSetting endpoint() {
    return ProviderSetting.optional(
        ENDPOINT,
        "https?://[^/\\s]+(/.*)?",
        "one URL for IAM and STS instead of AWS's own (an emulator such as moto, or a VPC"
            + " endpoint).",
        "an http(s) URL",
        "write it like http://127.0.0.1:5000",
        "http://127.0.0.1:5000");
  }

  /**
   * LiteLLM's Bedrock params of a static access key: the pair, and {@code aws_region_name} from
   * {@value #REGION} (the static access-key form of {@code BaseAWSLLM.get_credentials}).
   */
  @Override
  public Map<String, Object> litellmParams(Map<String, String> settings, String value) {
    Map<String, Object> params = new LinkedHashMap<>(super.litellmParams(settings, value));
    params.put("aws_region_name", settings.get(REGION));
    return params;
  }
}
