package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.activities.provider.AwsIamProvider;
import io.keyturn.testkit.launch.MotoServer;
import io.keyturn.testkit.launch.WorkerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.iam.IamClient;
import software.amazon.awssdk.services.iam.model.AccessKey;
import software.amazon.awssdk.services.iam.model.AccessKeyMetadata;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * {@code provider: aws-iam} end to end: the real Temporal dev server, worker process and CLI;
 * moto's IAM and STS with signatures enforced (a deleted access key is refused, as at AWS); the
 * stack's LiteLLM emulator whose {@code bedrock/...} deployments answer when STS accepts their
 * stored key ({@code BedrockStandIn}), so a request through the proxy fails as soon as its key is
 * deleted.
 */
class AwsIamProviderEndToEndTest extends OnE2eStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String MODEL = "bedrock/anthropic.claude-3-haiku-20240307-v1:0";

  static MotoServer moto;
  static IamClient iam;

  @BeforeAll
  static void motoWithAuthAndAWorkerWithAnAwsIdentity() throws Exception {
    moto = MotoServer.builder().logFile(dir.resolve("moto.log")).build().start();
    try (IamClient open =
        iam(StaticCredentialsProvider.create(AwsBasicCredentials.create("any", "any")))) {
      open.createUser(b -> b.userName("keyturn-worker"));
      open.putUserPolicy(
          b ->
              b.userName("keyturn-worker")
                  .policyName("rotate-bedrock-keys")
                  .policyDocument(
                      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
                          + "\"Action\":\"iam:*\",\"Resource\":\"*\"}]}"));
      AccessKey k = open.createAccessKey(b -> b.userName("keyturn-worker")).accessKey();
      moto.enforceAuth();
      iam =
          iam(
              StaticCredentialsProvider.create(
                  AwsBasicCredentials.create(k.accessKeyId(), k.secretAccessKey())));
      litellm.bedrockStsEndpoint(moto.address());
      worker.stop();
      Map<String, String> env = new HashMap<>(stack.workerEnv);
      env.put("AWS_ACCESS_KEY_ID", k.accessKeyId());
      env.put("AWS_SECRET_ACCESS_KEY", k.secretAccessKey());
      env.put("AWS_REGION", "us-east-1");
      worker = new WorkerProcess(env, dir.resolve("worker-aws.log")).start();
      stack.worker = worker;
    }
  }

  @AfterAll
  static void stopMoto() {
    if (iam != null) {
      iam.close();
    }
    if (moto != null) {
      moto.close();
    }
  }

  static IamClient iam(StaticCredentialsProvider creds) {
    return IamClient.builder()
        .httpClient(UrlConnectionHttpClient.create())
        .region(Region.AWS_GLOBAL)
        .endpointOverride(URI.create(moto.address()))
        .credentialsProvider(creds)
        .build();
  }

  static String callerArn(String keyId, String secret) {
    try (StsClient sts =
        StsClient.builder()
            .httpClient(UrlConnectionHttpClient.create())
            .region(Region.US_EAST_1)
            .endpointOverride(URI.create(moto.address()))
            .credentialsProvider(
                StaticCredentialsProvider.create(AwsBasicCredentials.create(keyId, secret)))
            .build()) {
      return sts.getCallerIdentity().arn();
    }
  }

  static List<String> keys(String user) {
    return iam.listAccessKeys(b -> b.userName(user)).accessKeyMetadata().stream()
        .map(AccessKeyMetadata::accessKeyId)
        .toList();
  }

  /** Every secret access key moto ever issued (its model data), to look for in what we keep. */
  static List<String> secretsMotoIssued() throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(moto.address() + "/moto-api/data.json")).build(),
            HttpResponse.BodyHandlers.ofString());
    List<String> out = new ArrayList<>();
    for (JsonNode k : JSON.readTree(r.body()).path("iam").path("AccessKey")) {
      if (k.path("secret_access_key").isTextual()) {
        out.add(k.path("secret_access_key").asText());
      }
    }
    return out;
  }

  static HttpResponse<String> proxy(String method, String path, Object body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(litellm.baseUrl() + path))
            .timeout(Duration.ofSeconds(20))
            .header("Authorization", "Bearer " + master)
            .header("content-type", "application/json");
    b =
        body == null
            ? b.method(method, HttpRequest.BodyPublishers.noBody())
            : b.method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A Bedrock deployment of {@code group} with a static access key, as an admin adds one. */
  static void deploy(String group, String id, AccessKey key) throws Exception {
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("model", MODEL);
    params.put("aws_access_key_id", key.accessKeyId());
    params.put("aws_secret_access_key", key.secretAccessKey());
    params.put("aws_region_name", "us-east-1");
    HttpResponse<String> r =
        proxy(
            "POST",
            "/model/new",
            Map.of(
                "model_name",
                group,
                "litellm_params",
                params,
                "model_info",
                Map.of("id", id, "keyturn_provider_key_id", key.accessKeyId())));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).doesNotContain(key.secretAccessKey());
  }

  static List<String> deployments(String group) throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode m : JSON.readTree(proxy("GET", "/model/info", null).body()).path("data")) {
      if (group.equals(m.path("model_name").asText())) {
        out.add(m.path("model_info").path("id").asText());
      }
    }
    return out;
  }

  static int chat(String group) throws Exception {
    return proxy(
            "POST",
            "/v1/chat/completions",
            Map.of("model", group, "messages", List.of(Map.of("role", "user", "content", "hi"))))
        .statusCode();
  }

  static Path yaml(String name, String id, String group, String user, String extra)
      throws Exception {
    return file(
        name + ".yaml",
        "apiVersion: keyturn/v1\nproviderKeys:\n"
            + "  - id: "
            + id
            + "\n    gateway: {url: "
            + litellm.baseUrl()
            + "}\n    modelGroup: "
            + group
            + "\n    provider: aws-iam\n    iamUser: "
            + user
            + "\n    region: us-east-1\n    endpoint: "
            + moto.address()
            + "\n"
            + extra);
  }

  @Test
  void anAwsIamRotationDeploysAVerifiedNewKeyAndDeletesTheOldOne() throws Exception {
    String user = "litellm-bedrock";
    String group = "claude-bedrock";
    iam.createUser(b -> b.userName(user));
    AccessKey old = iam.createAccessKey(b -> b.userName(user)).accessKey();
    deploy(group, "old-bedrock", old);
    assertThat(chat(group)).isEqualTo(200);
    Path f = yaml("bedrock", "bedrock", group, user, "    overlap: 2s\n    grace: 1s\n");

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong sent = new AtomicLong();
    List<String> failures = new ArrayList<>();
    Thread load =
        new Thread(
            () -> {
              while (!stop.get()) {
                try {
                  int s = chat(group);
                  sent.incrementAndGet();
                  if (s != 200) {
                    synchronized (failures) {
                      failures.add("HTTP " + s);
                    }
                  }
                  Thread.sleep(20);
                } catch (Exception e) {
                  synchronized (failures) {
                    failures.add(e.toString());
                  }
                }
              }
            },
            "bedrock-load");
    load.start();
    Cli.Result r;
    try {
      r = keyturn("rotate-provider", "-f", f.toString(), "bedrock", "--wait", "--json");
      Thread.sleep(500); // requests after the old key was deleted
    } finally {
      stop.set(true);
      load.join();
    }
    System.out.println(
        "AWS-IAM ROTATION UNDER LOAD: "
            + sent.get()
            + " requests through the proxy, "
            + failures.size()
            + " failed "
            + failures);
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    JsonNode out = JSON.readTree(r.out());
    assertThat(out.path("outcome").asText()).isEqualTo("rotated");
    assertThat(failures).as("failed requests through the proxy").isEmpty();
    assertThat(sent.get()).isGreaterThan(10);

    // the new deployment alone, with a new access key of the user; the old key is deleted
    String next = out.path("newDeployment").asText();
    assertThat(deployments(group)).containsExactly(next);
    List<String> now = keys(user);
    assertThat(now).hasSize(1).doesNotContain(old.accessKeyId());
    assertThat(out.path("newKey").asText()).startsWith(AwsIamProvider.show(now.get(0)) + " #");
    assertThatThrownBy(() -> callerArn(old.accessKeyId(), old.secretAccessKey()))
        .as("STS refuses the old key")
        .isInstanceOfSatisfying(
            AwsServiceException.class, e -> assertThat(e.statusCode()).isEqualTo(403));
    assertThat(chat(group)).isEqualTo(200);

    // no secret in history, CLI output or the worker's log
    List<String> secrets = secretsMotoIssued();
    assertThat(secrets).contains(old.secretAccessKey()).hasSizeGreaterThanOrEqualTo(3);
    String history = client.fetchHistory("provider-key/" + group).toJson(false);
    String log = Files.readString(dir.resolve("worker-aws.log"));
    // the worker asked STS with the new key, and deleted the old one at IAM
    assertThat(log)
        .contains(
            "STS at " + moto.address() + " accepted access key " + AwsIamProvider.show(now.get(0)))
        .contains("provider key " + old.accessKeyId() + " at aws-iam: revoked");
    for (String s : secrets) {
      assertThat(history).doesNotContain(s);
      assertThat(r.out() + r.err()).doesNotContain(s);
      assertThat(log).doesNotContain(s);
    }
  }

  @Test
  void anUnknownIamUserIsRefusedInPreflightAndNothingChanges() throws Exception {
    String group = "claude-nouser";
    iam.createUser(b -> b.userName("nouser-real"));
    AccessKey old = iam.createAccessKey(b -> b.userName("nouser-real")).accessKey();
    deploy(group, "old-nouser", old);
    Path f = yaml("nouser", "nouser", group, "no-such-user", "");
    Cli.Result r = keyturn("rotate-provider", "-f", f.toString(), "nouser", "--wait");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.err())
        .contains("preflight failed, nothing changed")
        .contains("IAM user no-such-user does not exist");
    assertThat(deployments(group)).containsExactly("old-nouser");
    assertThat(keys("nouser-real")).containsExactly(old.accessKeyId());
    assertThat(callerArn(old.accessKeyId(), old.secretAccessKey())).endsWith("/nouser-real");
    assertThat(chat(group)).isEqualTo(200);

    // what the rotation's safety rests on: once a deployment's key is deleted, requests fail
    iam.deleteAccessKey(b -> b.userName("nouser-real").accessKeyId(old.accessKeyId()));
    assertThat(chat(group)).as("a deployment whose key is deleted fails").isEqualTo(401);
  }
}
