package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.activities.store.AwsSecretsManagerStore;
import io.keyturn.testkit.launch.MotoServer;
import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.testkit.launch.TemporalDevServer;
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.store.AwsSecretsManagerConfig;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * One rotation, several secret stores: real Temporal dev server, real OpenBao, a real moto server
 * for AWS Secrets Manager, a real file, the real worker process and CLI, and a LiteLLM chosen by
 * the subclass: the emulator ({@link MultiDestinationEndToEndEmulatorTest}) or LiteLLM's own proxy
 * code ({@link MultiDestinationEndToEndRealLiteLlmTest}), seen only through its API. The worker's
 * Vault token is a scoped one, as in production: it may write {@code litellm/*} but only read
 * {@code litellm/locked}, which is how a destination can pass the check before minting and still
 * refuse the write.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class MultiDestinationEndToEndBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String REGION = "us-east-1";

  Path dir;
  TemporalDevServer temporal;
  OpenBaoDevServer bao;
  MotoServer moto;
  LiteLlmUnderTest litellm;
  WorkerProcess worker;
  Cli cli;
  String workerVaultToken;

  /** Starts the LiteLLM under test with this master key, listing these models. */
  abstract LiteLlmUnderTest startLiteLlm(String masterKey, List<String> models, Path dir)
      throws Exception;

  @BeforeAll
  void startEverything(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    temporal = TemporalDevServer.builder().dbFile(dir.resolve("temporal.sqlite")).build().start();
    bao = OpenBaoDevServer.builder().build().start();
    moto = MotoServer.builder().logFile(dir.resolve("moto.log")).build().start();
    String master = "sk-master-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "");
    litellm = startLiteLlm(master, List.of("gpt-4o-mini"), dir);
    workerVaultToken = scopedVaultToken();
    WorkerKeyring keyring = WorkerKeyring.generate();
    String payloadKey = PayloadKeys.generateBase64();

    Map<String, String> env = new HashMap<>();
    env.put("TEMPORAL_ADDRESS", temporal.address());
    env.put("LITELLM_MASTER_KEY_FILE", secretFile("master.key", master).toString());
    env.put("VAULT_ADDR", bao.address());
    env.put("VAULT_TOKEN_FILE", secretFile("vault.token", workerVaultToken).toString());
    env.put(
        "KEYTURN_WORKER_KEYRING_FILE",
        secretFile("worker-keyring.json", keyring.toJson()).toString());
    env.put("KEYTURN_PAYLOAD_KEY_FILE", secretFile("payload.key", payloadKey).toString());
    env.put("AWS_ACCESS_KEY_ID", "test");
    env.put("AWS_SECRET_ACCESS_KEY", "test");
    env.put("AWS_REGION", REGION);
    worker = new WorkerProcess(env, dir.resolve("worker.log")).start();
    cli = Cli.forWorker(temporal.address(), dir.resolve("payload.key"), keyring, litellm.baseUrl());
    System.setProperty("aws.accessKeyId", "test");
    System.setProperty("aws.secretAccessKey", "test");
  }

  @AfterAll
  void stopEverything() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {worker, litellm, moto, bao, temporal}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private Path secretFile(String name, String value) throws Exception {
    return E2eStack.file(dir, name, value);
  }

  /** A token that may write secret/litellm/* except litellm/locked, which it may only read. */
  private String scopedVaultToken() throws Exception {
    String policy =
        """
        path "secret/data/litellm/*" { capabilities = ["create", "read", "update", "delete"] }
        path "secret/metadata/litellm/*" { capabilities = ["create", "read", "update", "delete"] }
        path "secret/data/litellm/locked" { capabilities = ["read"] }
        path "secret/metadata/litellm/locked" { capabilities = ["read"] }
        """;
    vault("PUT", "/v1/sys/policies/acl/keyturn-worker", Map.of("policy", policy), bao.rootToken());
    String created =
        vault(
            "POST",
            "/v1/auth/token/create",
            Map.of("policies", List.of("keyturn-worker"), "ttl", "2h"),
            bao.rootToken());
    return JSON.readTree(created).path("auth").path("client_token").asText();
  }

  private String vault(String method, String path, Object body, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(bao.address() + path)).header("X-Vault-Token", token);
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(method + " " + path + ": " + r.body()).isBetween(200, 299);
    return r.body();
  }

  private Optional<String> awsValue(String secretId) {
    try (AwsSecretsManagerStore s =
        new AwsSecretsManagerStore(
            new AwsSecretsManagerConfig.Type()
                .parse(
                    Map.of("secretId", secretId, "region", REGION, "endpoint", moto.address())))) {
      return s.currentValue();
    }
  }

  private String seedOldKey(String app) throws Exception {
    return litellm.createKey(Map.of("key_alias", app, "models", List.of("gpt-4o-mini")));
  }

  private List<LiteLlmUnderTest.LiveKey> keyturnKeys(String app) throws Exception {
    return litellm.liveKeysWithAliasPrefix("keyturn-" + app + "-g");
  }

  @Test
  void aRotationPublishesToVaultAwsAndAFileBeforeRevoking() throws Exception {
    String oldRaw = seedOldKey("app-m");
    Path envFile = dir.resolve("app-m.env");
    Cli.Result r =
        cli.run(
            "rotate",
            "--secret-id",
            "app-m",
            "--key-file",
            secretFile("app-m.key", oldRaw).toString(),
            "--generation",
            "1",
            "--grace",
            "2s",
            "--to",
            "vault-kv2:name=app-m",
            "--to",
            "aws-secretsmanager:secretId=litellm/app-m,region="
                + REGION
                + ",endpoint="
                + moto.address(),
            "--to",
            "file:path=" + envFile + ",format=env,field=APP_M_KEY",
            "--wait",
            "--json");
    assertThat(r.exit()).as(() -> r.out() + r.err() + litellm.logTail()).isZero();
    assertThat(r.out()).contains("COMPLETED").doesNotContain(oldRaw);

    List<LiteLlmUnderTest.LiveKey> ours = keyturnKeys("app-m");
    assertThat(ours).hasSize(1);
    String liveHash = ours.get(0).tokenHash();
    assertThat(litellm.isLive(KeyMaterial.tokenHash(oldRaw))).isFalse();
    assertThat(litellm.bearerStatus(oldRaw)).as("the old key as a bearer").isEqualTo(401);

    String inVault = VaultKeys.of(bao, "app-m");
    assertThat(KeyMaterial.tokenHash(inVault)).as("Vault").isEqualTo(liveHash);
    assertThat(awsValue("litellm/app-m").map(KeyMaterial::tokenHash))
        .as("AWS Secrets Manager (AWSCURRENT)")
        .contains(liveHash);
    String fileText = Files.readString(envFile);
    assertThat(fileText).as("the env file").isEqualTo("APP_M_KEY=" + inVault + "\n");
    assertThat(Files.getPosixFilePermissions(envFile))
        .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    assertThat(r.out() + r.err()).doesNotContain(inVault);
    assertThat(litellm.bearerStatus(inVault)).as("the new key as a bearer").isEqualTo(200);
  }

  @Test
  void whenTheSecondDestinationRefusesTheWriteTheFirstIsPutBackAndTheOldKeyStays()
      throws Exception {
    String oldRaw = seedOldKey("app-f");
    Path envFile = dir.resolve("app-f.env");
    // The application's env file holds the key it uses today, beside another setting.
    Files.writeString(envFile, "OTHER=1\nAPP_F_KEY=" + oldRaw + "\n");
    Files.setPosixFilePermissions(envFile, PosixFilePermissions.fromString("rw-------"));
    Cli.Result r =
        cli.run(
            "rotate",
            "--secret-id",
            "app-f",
            "--key-file",
            secretFile("app-f.key", oldRaw).toString(),
            "--generation",
            "1",
            "--grace",
            "2s",
            "--to",
            "file:path=" + envFile + ",format=env,field=APP_F_KEY",
            "--to",
            "vault-kv2:name=locked",
            "--wait");
    assertThat(r.exit()).as("the rotation failed: " + r.out() + r.err()).isEqualTo(1);
    assertThat(r.out() + r.err()).contains("NOT revoked").contains("locked").doesNotContain(oldRaw);

    // The proxy: the old key lives and works, no Keyturn key is left.
    assertThat(litellm.isLive(KeyMaterial.tokenHash(oldRaw))).isTrue();
    assertThat(litellm.bearerStatus(oldRaw)).as("the old key as a bearer").isEqualTo(200);
    assertThat(keyturnKeys("app-f")).isEmpty();
    // The file: back to the old key, the other setting kept.
    assertThat(Files.readString(envFile)).isEqualTo("OTHER=1\nAPP_F_KEY=" + oldRaw + "\n");
    // Vault: never written.
    assertThat(VaultKeys.read(bao, "secret", "locked")).isEmpty();
    assertThat(worker.log()).doesNotContain(oldRaw);
  }
}
