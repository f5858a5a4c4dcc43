package io.keyturn.activities.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.testkit.launch.MotoServer;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.testkit.provider.BedrockStandIn;
import io.keyturn.workflows.ProviderKeyFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.ProviderDeployment;
import io.keyturn.workflows.model.ProviderKey;
import io.keyturn.workflows.model.ProviderKeyRequest;
import io.temporal.failure.ApplicationFailure;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.iam.model.AccessKeyMetadata;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * {@code provider: aws-iam} against moto's IAM and STS with signatures enforced ({@link
 * MotoServer#enforceAuth()}): the worker's identity is an IAM user allowed {@code iam:*}, and a
 * deleted access key is refused by STS as by AWS.
 */
class AwsIamProviderTest {
  static MotoServer moto;
  static StaticCredentialsProvider admin;
  static IamClient iam;
  static final AtomicInteger users = new AtomicInteger();

  @BeforeAll
  static void motoWithAuth() throws Exception {
    moto = MotoServer.builder().build().start();
    IamClient open = client(StaticCredentialsProvider.create(AwsBasicCredentials.create("x", "y")));
    open.createUser(b -> b.userName("keyturn-worker"));
    open.putUserPolicy(
        b ->
            b.userName("keyturn-worker")
                .policyName("manage-keys")
                .policyDocument(
                    "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                        + "\"Action\":\"iam:*\",\"Resource\":\"*\"}]}"));
    AccessKey k = open.createAccessKey(b -> b.userName("keyturn-worker")).accessKey();
    open.close();
    admin =
        StaticCredentialsProvider.create(
            AwsBasicCredentials.create(k.accessKeyId(), k.secretAccessKey()));
    moto.enforceAuth();
    iam = client(admin);
  }

  @AfterAll
  static void stop() {
    if (iam != null) {
      iam.close();
    }
    if (moto != null) {
      moto.close();
    }
  }

  static IamClient client(StaticCredentialsProvider creds) {
    return IamClient.builder()
        .httpClient(UrlConnectionHttpClient.create())
        .region(Region.AWS_GLOBAL)
        .endpointOverride(URI.create(moto.address()))
        .credentialsProvider(creds)
        .build();
  }

  static String newUser() {
    String user = "bedrock-caller-" + users.incrementAndGet();
    iam.createUser(b -> b.userName(user));
    return user;
  }

  static Map<String, String> settings(String user) {
    return Map.of("iamUser", user, "region", "us-east-1", "endpoint", moto.address());
  }

  static List<String> keys(String user) {
    return iam.listAccessKeys(b -> b.userName(user)).accessKeyMetadata().stream()
        .map(AccessKeyMetadata::accessKeyId)
        .toList();
  }

  static AwsIamProvider provider() {
    return new AwsIamProvider(admin, Duration.ZERO);
  }

  static String type(Throwable t) {
    if (!(t instanceof ApplicationFailure af)) {
      throw new AssertionError("not an ApplicationFailure", t);
    }
    return af.getType();
  }

  @Test
  void createVerifyMapAndRevokeAKey() {
    String user = newUser();
    AwsIamProvider p = provider();
    assertThat(p.name()).isEqualTo("aws-iam");
    assertThat(p.automated()).isTrue();
    assertThat(p.problem(settings(user))).isNull();

    KeyProvider.Created c = p.create(settings(user), "keyturn-claude-abc");
    String id = c.providerId();
    String secret = HttpBodies.tree(c.value()).path("aws_secret_access_key").asText();
    assertThat(keys(user)).containsExactly(id);
    assertThat(c.display()).isEqualTo(AwsIamProvider.show(id)).startsWith("AKIA").contains("…");
    assertThat(c.display() + c).doesNotContain(secret);

    assertThat(p.verifyAtProvider(settings(user), c.value())).isTrue();
    assertThat(p.litellmParams(settings(user), c.value()))
        .isEqualTo(
            Map.of(
                "aws_access_key_id", id,
                "aws_secret_access_key", secret,
                "aws_region_name", "us-east-1"));

    // the emulated proxy's Bedrock stand-in sees the same as the provider's own check
    assertThat(BedrockStandIn.callerIdentity(moto.address(), "us-east-1", id, secret).arn())
        .endsWith(":user/" + user);

    assertThat(p.revoke(settings(user), id)).isTrue();
    assertThat(keys(user)).isEmpty();
    BedrockStandIn.Identity gone =
        BedrockStandIn.callerIdentity(moto.address(), "us-east-1", id, secret);
    assertThat(gone.accepted()).isFalse();
    assertThat(gone.status()).isEqualTo(403);
    assertThat(gone.code()).isEqualTo("InvalidClientTokenId");
    assertThatThrownBy(() -> p.verifyAtProvider(settings(user), c.value()))
        .satisfies(t -> assertThat(type(t)).isEqualTo(ProviderKeyFailures.KEY_REJECTED))
        .hasMessageContaining("refused access key " + c.display())
        .hasMessageNotContaining(secret);
    assertThat(p.revoke(settings(user), id)).as("already gone is done").isFalse();
  }

  @Test
  void aRetriedCreateReplacesItsLostAttemptAndLeavesOtherKeysAlone() {
    String user = newUser();
    AccessKey deployed = iam.createAccessKey(b -> b.userName(user)).accessKey();
    AwsIamProvider p = provider();
    KeyProvider.Created lost = p.create(settings(user), "keyturn-g-111");
    KeyProvider.Created retried = p.create(settings(user), "keyturn-g-111");

    assertThat(keys(user))
        .containsExactlyInAnyOrder(deployed.accessKeyId(), retried.providerId())
        .doesNotContain(lost.providerId());

    // the next rotation (another name) deletes nothing
    p.revoke(settings(user), deployed.accessKeyId());
    KeyProvider.Created next = p.create(settings(user), "keyturn-g-222");
    assertThat(keys(user)).containsExactlyInAnyOrder(retried.providerId(), next.providerId());
  }

  @Test
  void aUserWithTwoKeysIsRefusedAndNothingChanges() {
    String user = newUser();
    iam.createAccessKey(b -> b.userName(user));
    iam.createAccessKey(b -> b.userName(user));
    List<String> before = keys(user);
    assertThatThrownBy(() -> provider().create(settings(user), "keyturn-g-333"))
        .satisfies(t -> assertThat(type(t)).isEqualTo(ProviderKeyFailures.PROVIDER_UNUSABLE))
        .hasMessageContaining("has two access keys already")
        .hasMessageContaining("nothing changed");
    assertThat(keys(user)).isEqualTo(before);
  }

  @Test
  void aKeyOfAnotherUserIsRejected() {
    String user = newUser();
    String other = newUser();
    KeyProvider.Created c = provider().create(settings(other), "keyturn-o-1");
    assertThatThrownBy(() -> provider().verifyAtProvider(settings(user), c.value()))
        .satisfies(t -> assertThat(type(t)).isEqualTo(ProviderKeyFailures.KEY_REJECTED))
        .hasMessageContaining("not IAM user " + user);
  }

  @Test
  void aNewKeyUnknownToStsAtFirstIsAskedAgainWithinThePropagationWindow() {
    String user = newUser();
    AwsIamProvider p = new AwsIamProvider(admin, Duration.ofSeconds(5));
    String made =
        "{\"aws_access_key_id\":\"AKIAFAKE00000000ABCD\",\"aws_secret_access_key\":\"s\"}";
    long start = System.nanoTime();
    assertThatThrownBy(() -> p.verifyAtProvider(settings(user), made))
        .satisfies(t -> assertThat(type(t)).isEqualTo(ProviderKeyFailures.KEY_REJECTED))
        .hasMessageContaining("InvalidClientTokenId");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThan(Duration.ofSeconds(4));
  }

  @Test
  void badSettingsAndAMissingWorkerIdentityAreProblems() {
    AwsIamProvider p = provider();
    assertThat(p.problem(Map.of("region", "us-east-1"))).contains("needs iamUser");
    assertThat(p.problem(Map.of("iamUser", "u"))).contains("needs region");
    assertThat(p.problem(Map.of("iamUser", "u", "region", "us-east-1", "endpoint", "moto")))
        .contains("not an http(s) URL");
    assertThat(p.problem(settings("no-such-user")))
        .contains("IAM user no-such-user does not exist");

    AwsIamProvider nobody =
        new AwsIamProvider(
            () -> {
              throw SdkClientException.create("Unable to load credentials from any provider");
            },
            Duration.ZERO);
    assertThat(nobody.problem(settings("u"))).contains("this worker has no AWS credentials");

    AwsIamProvider stranger =
        new AwsIamProvider(
            StaticCredentialsProvider.create(
                AwsBasicCredentials.create("AKIANOTAUSER00000000", "nope")),
            Duration.ZERO);
    String user = newUser();
    assertThatThrownBy(() -> stranger.problem(settings(user)))
        .satisfies(t -> assertThat(type(t)).isEqualTo(ProviderKeyFailures.PROVIDER_UNUSABLE))
        .hasMessageContaining("InvalidClientTokenId");
    assertThatThrownBy(() -> stranger.create(settings(user), "keyturn-x-1"))
        .satisfies(t -> assertThat(type(t)).isEqualTo(ProviderKeyFailures.PROVIDER_UNUSABLE));
    assertThat(keys(user)).isEmpty();
  }

  @Test
  void aValueThatIsNoKeyPairIsRejectedWithoutEchoingIt() {
    assertThatThrownBy(() -> provider().litellmParams(settings("u"), "sk-plain-secret-value"))
        .satisfies(t -> assertThat(type(t)).isEqualTo(ProviderKeyFailures.KEY_REJECTED))
        .hasMessageNotContaining("sk-plain-secret-value");
  }

  @Test
  void stsSaysWhoTheWorkerIs() {
    // the enforcement the other tests lean on: moto checks signatures against its IAM keys
    try (StsClient sts =
        StsClient.builder()
            .httpClient(UrlConnectionHttpClient.create())
            .region(Region.US_EAST_1)
            .endpointOverride(URI.create(moto.address()))
            .credentialsProvider(admin)
            .build()) {
      assertThat(sts.getCallerIdentity().arn()).endsWith(":user/keyturn-worker");
    }
  }

  /**
   * {@code provider: manual} with {@code keyShape: aws-access-key}: a pair made by hand is shown by
   * its access key id, checked with STS (any user will do), deployed with Bedrock's params, and
   * answers through the emulated proxy, whose Bedrock stand-in asks moto's STS; a value that is not
   * a pair is refused without being echoed, and a deleted pair is refused by STS.
   */
  @Test
  void aPairMadeByHandIsShownByItsIdCheckedWithStsAndDeployedForBedrock() throws Exception {
    String user = newUser();
    AccessKey made = iam.createAccessKey(b -> b.userName(user)).accessKey();
    String secret = made.secretAccessKey();
    String pair =
        HttpBodies.write(
            Map.of("aws_access_key_id", made.accessKeyId(), "aws_secret_access_key", secret));
    WorkerKeyring keyring = WorkerKeyring.generate();
    String master = "sk-master-manual-aws-0000";
    try (JsonHttp http = new JsonHttp(Duration.ofSeconds(20));
        LiteLlmEmulator proxy = LiteLlmEmulator.builder().masterKey(master).build().start()) {
      proxy.bedrockStsEndpoint(moto.address());
      ProviderKeyActivitiesImpl acts =
          new ProviderKeyActivitiesImpl(
              http, () -> master, keyring, List.of(new ManualProvider(Duration.ZERO)));
      ProviderKeyRequest req =
          new ProviderKeyRequest(
              "bedrock",
              proxy.baseUrl(),
              "claude-bedrock",
              "manual",
              Map.of(
                  "keyShape", "aws-access-key", "region", "us-east-1", "endpoint", moto.address()),
              null,
              null,
              null,
              "t");

      ProviderKey k = acts.describeProvided(req, keyring.seal(pair + "\n"));
      assertThat(k.fingerprint())
          .isEqualTo(
              AwsIamProvider.show(made.accessKeyId())
                  + " "
                  + KeyRef.shortHash(k.ref().tokenHash()));
      assertThat(k.ref().tokenHash()).isEqualTo(KeyMaterial.tokenHash(pair));
      assertThat(k.fingerprint() + k).doesNotContain(secret.substring(secret.length() - 4));

      String plain = "sk-one-api-key-" + "v".repeat(24);
      assertThatThrownBy(() -> acts.describeProvided(req, keyring.seal(plain)))
          .satisfies(t -> assertThat(type(t)).isEqualTo(ProviderKeyFailures.KEY_REJECTED))
          .hasMessageContaining("aws_access_key_id")
          .hasMessageNotContaining("vvvv");

      acts.verifyAtProvider(req, null, k);
      ProviderDeployment like =
          new ProviderDeployment(
              "old", "bedrock/anthropic.claude-3-haiku-20240307-v1:0", null, null);
      assertThat(acts.addDeployment(req, like, k, "keyturn-claude-bedrock-1"))
          .isEqualTo("keyturn-claude-bedrock-1");
      acts.verifyDeployment(proxy.baseUrl(), "keyturn-claude-bedrock-1");

      iam.deleteAccessKey(b -> b.userName(user).accessKeyId(made.accessKeyId()));
      assertThatThrownBy(() -> acts.verifyAtProvider(req, null, k))
          .satisfies(t -> assertThat(type(t)).isEqualTo(ProviderKeyFailures.KEY_REJECTED))
          .hasMessageContaining("refused access key " + AwsIamProvider.show(made.accessKeyId()))
          .hasMessageNotContaining(secret);
    }
  }
}
