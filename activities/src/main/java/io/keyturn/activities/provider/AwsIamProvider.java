package io.keyturn.activities.provider;

import com.google.auto.service.AutoService;
import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.workflows.ProviderKeyFailures;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.provider.AwsIamProviderType;
import io.keyturn.workflows.provider.KeyShape;
import io.keyturn.workflows.provider.ProviderTypes;
import io.temporal.failure.ApplicationFailure;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.IamClientBuilder;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.iam.model.AccessKeyMetadata;
import software.amazon.awssdk.services.iam.model.NoSuchEntityException;
import software.amazon.awssdk.services.iam.model.Tag;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.StsClientBuilder;
import software.amazon.awssdk.services.sts.model.GetCallerIdentityResponse;

/**
 * {@code provider: aws-iam}: the access keys of one IAM user (setting {@code iamUser}) that a model
 * group's Bedrock deployments call with, made and deleted with the worker's own AWS identity (the
 * SDK's default chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, an instance or pod
 * role; never in a request). Settings: {@code iamUser}, {@code region} (the deployments' {@code
 * aws_region_name}, and where STS is asked), {@code endpoint} (optional: one URL for IAM and STS,
 * as for an emulator; default AWS's own).
 *
 * <p>A key is a pair. Its sealed value is the JSON object {@code {"aws_access_key_id": ...,
 * "aws_secret_access_key": ...}}, which its type ({@link AwsIamProviderType#litellmParams}) turns
 * into LiteLLM's Bedrock params ({@code aws_access_key_id}, {@code aws_secret_access_key}, {@code
 * aws_region_name}: the static access-key form of {@code BaseAWSLLM.get_credentials}). Its provider
 * id is the access key id, and people see it as {@code AKIA…WXYZ} (the id's first and last four
 * characters), never a character of the secret.
 *
 * <p><b>Create is idempotent by name</b> although IAM access keys carry no name. Before {@code
 * CreateAccessKey}, the user is tagged {@value #PENDING_TAG} = {@code <sha256(name) prefix>:<ids of
 * the user's keys before the create>}. A retried create of the same name (its first attempt's reply
 * was lost, so its secret is gone) finds its own tag, deletes every key of the user that is not in
 * the recorded list (the lost attempt's key, which no deployment can hold: its secret never left
 * the worker), and creates again. A create of another name overwrites the tag and deletes nothing.
 * This holds when the IAM user is dedicated to one {@code providerKeys:} entry (one model group,
 * whose rotations Temporal never runs twice at once): another writer's key made between two
 * attempts of one create would be deleted. IAM allows two access keys per user: when the user has
 * two already (besides a lost attempt's), create refuses, changing nothing, and says which to
 * delete. The SDK's call timeout is far below the activity's, so an abandoned attempt cannot land
 * its key after the retry that replaced it has listed the user's keys.
 *
 * <p><b>Revoke</b> is {@code DeleteAccessKey}; a key that is already gone ({@code NoSuchEntity}) is
 * done. <b>Verify</b> is STS {@code GetCallerIdentity} signed with the new key, which must name the
 * configured user; a new key that STS does not know yet is asked again for up to the propagation
 * window (IAM is eventually consistent) before it counts as refused.
 */
public final class AwsIamProvider implements KeyProvider {
  private static final Logger log = LoggerFactory.getLogger(AwsIamProvider.class);

  private static final String IAM_USER = AwsIamProviderType.IAM_USER;
  private static final String REGION = AwsIamProviderType.REGION;
  private static final String ENDPOINT = AwsIamProviderType.ENDPOINT;

  /** Registers this provider with the worker, with the AWS SDK's default credential chain. */
  @AutoService(KeyProvider.Factory.class)
  public static final class Factory implements KeyProvider.Factory {
    @Override
    public KeyProvider make(ProviderContext worker) {
      return new AwsIamProvider();
    }
  }

  /** The user tag that makes a create idempotent (see the class comment). */
  public static final String PENDING_TAG = "keyturn-pending-create";

  private static final Duration CALL_TIMEOUT = Duration.ofSeconds(20);

  private final AwsCredentialsProvider worker;
  private final Duration propagation;
  private final Map<String, IamClient> iamClients = new ConcurrentHashMap<>();

  /** With the worker's default credential chain, waiting up to 30 s for a new key to work. */
  public AwsIamProvider() {
    this(DefaultCredentialsProvider.builder().build(), Duration.ofSeconds(30));
  }

  /**
   * With {@code worker} as the identity that makes and deletes keys, and {@code propagation} as how
   * long a new key may stay unknown to STS before it counts as refused.
   */
  public AwsIamProvider(AwsCredentialsProvider worker, Duration propagation) {
    this.worker = worker;
    this.propagation = propagation;
  }

  @Override
  public String name() {
    return AwsIamProviderType.NAME;
  }

  @Override
  public boolean automated() {
    return true;
  }

  @Override
  public String problem(Map<String, String> settings) {
    String bad = KeyProviders.settingsProblem(ProviderTypes.get(name()), settings);
    if (bad != null) {
      return bad;
    }
    String user = settings.get(IAM_USER);
    try {
      worker.resolveCredentials();
    } catch (SdkException e) {
      return "this worker has no AWS credentials to manage IAM user "
          + user
          + "'s access keys: give the worker AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE"
          + " or a role allowed iam:ListAccessKeys, CreateAccessKey, DeleteAccessKey,"
          + " ListUserTags and TagUser on it";
    }
    try {
      iam(settings).getUser(b -> b.userName(user));
    } catch (NoSuchEntityException e) {
      return "IAM user " + user + " does not exist" + at(settings) + ": check iamUser";
    } catch (SdkException e) {
      throw failure(e, "looking up IAM user " + user + at(settings));
    }
    return null;
  }

  @Override
  public Created create(Map<String, String> settings, String name) {
    String user = settings.get(IAM_USER);
    IamClient iam = iam(settings);
    String marker = marker(name);
    try {
      List<String> ids = keyIds(iam, user);
      String pending = pendingTag(iam, user);
      if (pending != null && pending.startsWith(marker + ":")) {
        Set<String> before =
            Arrays.stream(pending.substring(marker.length() + 1).split(":"))
                .filter(s -> !s.isEmpty())
                .collect(Collectors.toSet());
        for (String id : ids) {
          if (!before.contains(id)) {
            // an earlier attempt of this create whose answer was lost: its secret is gone with it
            deleteKey(iam, user, id);
            log.info("deleted access key {} of {}: an earlier attempt of {}", show(id), user, name);
          }
        }
        ids = keyIds(iam, user);
      }
      if (ids.size() >= 2) {
        throw ApplicationFailure.newNonRetryableFailure(
            "IAM user "
                + user
                + " has two access keys already "
                + ids
                + " and IAM allows two, so there is no room for the new one. Delete the key no"
                + " deployment calls with (aws iam delete-access-key --user-name "
                + user
                + " --access-key-id ...), then rotate again; nothing changed",
            ProviderKeyFailures.PROVIDER_UNUSABLE);
      }
      Tag before =
          Tag.builder().key(PENDING_TAG).value(marker + ":" + String.join(":", ids)).build();
      iam.tagUser(b -> b.userName(user).tags(before));
      AccessKey k = iam.createAccessKey(b -> b.userName(user)).accessKey();
      Map<String, String> pair = new LinkedHashMap<>();
      pair.put("aws_access_key_id", k.accessKeyId());
      pair.put("aws_secret_access_key", k.secretAccessKey());
      return new Created(HttpBodies.write(pair), k.accessKeyId(), show(k.accessKeyId()));
    } catch (SdkException e) {
      throw failure(e, "creating an access key for IAM user " + user + at(settings));
    }
  }

  @Override
  public boolean revoke(Map<String, String> settings, String providerId) {
    String user = settings.get(IAM_USER);
    try {
      return deleteKey(iam(settings), user, providerId);
    } catch (SdkException e) {
      throw failure(
          e, "deleting access key " + show(providerId) + " of IAM user " + user + at(settings));
    }
  }

  @Override
  public boolean verifyAtProvider(Map<String, String> settings, String value) {
    return askSts(settings, value, settings.get(IAM_USER), propagation);
  }

  /**
   * STS {@code GetCallerIdentity} signed with the pair {@code value}, in {@code settings}' {@value
   * #REGION} (at its {@value #ENDPOINT} when given): returns true when STS knows the key and, when
   * {@code user} is not null, says it is that IAM user's; a key STS does not know yet is asked
   * again for up to {@code propagation}. Fails as {@link #verifyAtProvider} says. Also the check of
   * a pair handed in by hand ({@code provider: manual}), whose user Keyturn does not know.
   */
  static boolean askSts(
      Map<String, String> settings, String value, String user, Duration propagation) {
    String[] pair = pair(value);
    long end = System.nanoTime() + propagation.toNanos();
    StsClientBuilder b =
        StsClient.builder()
            .httpClientBuilder(UrlConnectionHttpClient.builder())
            .region(Region.of(settings.get(REGION)))
            .overrideConfiguration(o -> o.apiCallTimeout(CALL_TIMEOUT))
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create(pair[0], pair[1])));
    if (settings.get(ENDPOINT) != null) {
      b.endpointOverride(URI.create(settings.get(ENDPOINT)));
    }
    try (StsClient sts = b.build()) {
      while (true) {
        try {
          GetCallerIdentityResponse who = sts.getCallerIdentity();
          if (user != null && (!who.arn().contains(":user/") || !who.arn().endsWith("/" + user))) {
            throw ApplicationFailure.newNonRetryableFailure(
                "STS says access key "
                    + show(pair[0])
                    + " belongs to "
                    + who.arn()
                    + ", not IAM user "
                    + user,
                ProviderKeyFailures.KEY_REJECTED);
          }
          log.info("STS{} accepted access key {} as {}", at(settings), show(pair[0]), who.arn());
          return true;
        } catch (AwsServiceException e) {
          String code = code(e);
          boolean refused = refusedIdentity(e);
          if (refused && System.nanoTime() < end) {
            sleep(Duration.ofSeconds(1)); // a new key takes a moment to reach STS
            continue;
          }
          if (refused) {
            throw ApplicationFailure.newNonRetryableFailure(
                "STS"
                    + at(settings)
                    + " refused access key "
                    + show(pair[0])
                    + " ("
                    + code
                    + " on GetCallerIdentity)",
                ProviderKeyFailures.KEY_REJECTED);
          }
          throw failure(e, "asking STS who access key " + show(pair[0]) + " is");
        } catch (SdkException e) {
          throw failure(e, "asking STS who access key " + show(pair[0]) + " is");
        }
      }
    }
  }

  /** How people see access key {@code id}: its first and last four characters. */
  public static String show(String id) {
    return KeyShape.showAccessKeyId(id);
  }

  /** The access key id and secret of a sealed aws-iam value. */
  private static String[] pair(String value) {
    Map<String, Object> fields;
    try {
      fields = KeyShape.AWS_ACCESS_KEY.secretParams(value);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "an AWS access key is a JSON object with aws_access_key_id and aws_secret_access_key;"
              + " this one is not",
          ProviderKeyFailures.KEY_REJECTED);
    }
    return new String[] {
      (String) fields.get("aws_access_key_id"), (String) fields.get("aws_secret_access_key")
    };
  }

  private static List<String> keyIds(IamClient iam, String user) {
    return iam.listAccessKeysPaginator(b -> b.userName(user)).accessKeyMetadata().stream()
        .map(AccessKeyMetadata::accessKeyId)
        .toList();
  }

  private static String pendingTag(IamClient iam, String user) {
    for (Tag t : iam.listUserTags(b -> b.userName(user)).tags()) {
      if (PENDING_TAG.equals(t.key())) {
        return t.value();
      }
    }
    return null;
  }

  /** True if deleted now, false if it was already gone. */
  private static boolean deleteKey(IamClient iam, String user, String id) {
    try {
      iam.deleteAccessKey(b -> b.userName(user).accessKeyId(id));
      return true;
    } catch (NoSuchEntityException e) {
      return false;
    }
  }

  /** The tag form of a create's name: a SHA-256 prefix (tag values allow few characters). */
  private static String marker(String name) {
    return KeyMaterial.tokenHash(name).substring(0, 16);
  }

  private IamClient iam(Map<String, String> settings) {
    String endpoint = settings.get(ENDPOINT);
    return iamClients.computeIfAbsent(
        String.valueOf(endpoint),
        e -> {
          IamClientBuilder b =
              IamClient.builder()
                  .httpClientBuilder(UrlConnectionHttpClient.builder())
                  .region(Region.AWS_GLOBAL)
                  .overrideConfiguration(o -> o.apiCallTimeout(CALL_TIMEOUT))
                  .credentialsProvider(worker);
          if (endpoint != null) {
            b.endpointOverride(URI.create(endpoint));
          }
          return b.build();
        });
  }

  private static String at(Map<String, String> settings) {
    return settings.get(ENDPOINT) == null ? "" : " at " + settings.get(ENDPOINT);
  }

  private static ApplicationFailure failure(SdkException e, String what) {
    if (e instanceof AwsServiceException s) {
      String text = what + ": " + code(s) + " (HTTP " + s.statusCode() + ")";
      if (s.isThrottlingException() || s.statusCode() >= 500) {
        return ApplicationFailure.newFailure(text + " (retrying)", RotationFailures.TRANSIENT);
      }
      return ApplicationFailure.newNonRetryableFailure(
          text
              + (refusedIdentity(s)
                  ? ". The worker's AWS identity needs iam:GetUser, ListAccessKeys,"
                      + " CreateAccessKey, DeleteAccessKey, ListUserTags and TagUser on the user"
                  : ""),
          ProviderKeyFailures.PROVIDER_UNUSABLE);
    }
    if (e instanceof SdkClientException && String.valueOf(e.getMessage()).contains("credentials")) {
      return ApplicationFailure.newNonRetryableFailure(
          what
              + ": the worker has no AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY,"
              + " AWS_PROFILE or a role)",
          ProviderKeyFailures.PROVIDER_UNUSABLE);
    }
    return ApplicationFailure.newFailure(
        what + ": " + e.getClass().getSimpleName() + " (retrying)", RotationFailures.TRANSIENT);
  }

  /**
   * The AWS error code; moto words its signature refusals in a shape the SDK does not parse ({@code
   * <Errors>} around {@code <Error>}), so the code is read from the message body's text there.
   */
  private static String code(AwsServiceException e) {
    String code = e.awsErrorDetails() == null ? null : e.awsErrorDetails().errorCode();
    if (code != null) {
      return code;
    }
    String raw =
        e.awsErrorDetails() == null || e.awsErrorDetails().rawResponse() == null
            ? ""
            : e.awsErrorDetails().rawResponse().asUtf8String();
    int at = raw.indexOf("<Code>");
    int end = raw.indexOf("</Code>");
    return at >= 0 && end > at ? raw.substring(at + 6, end) : "HTTP " + e.statusCode();
  }

  /** Whether AWS refused the signing identity itself (an unknown or deleted key, a bad secret). */
  private static boolean refusedIdentity(AwsServiceException e) {
    return List.of("InvalidClientTokenId", "SignatureDoesNotMatch", "AccessDenied")
        .contains(code(e));
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw ApplicationFailure.newFailure("interrupted", RotationFailures.TRANSIENT);
    }
  }
}
