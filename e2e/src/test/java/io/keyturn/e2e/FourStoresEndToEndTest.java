package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.activities.store.AwsSecretsManagerStore;
import io.keyturn.activities.store.GcpSecretManagerStore;
import io.keyturn.testkit.azure.AppServiceIdentityFake;
import io.keyturn.testkit.azure.KeyVaultFake;
import io.keyturn.testkit.azure.SelfSignedTls;
import io.keyturn.testkit.launch.GcpSecretManagerFake;
import io.keyturn.testkit.launch.MotoServer;
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.store.AwsSecretsManagerConfig;
import io.keyturn.workflows.store.GcpSecretManagerConfig;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One rotation publishing to all four of LiteLLM's secret managers at once, on the real dev server,
 * worker process and CLI: Vault (OpenBao), AWS Secrets Manager (moto), Google Secret Manager
 * ({@link GcpSecretManagerFake}) and Azure Key Vault ({@link KeyVaultFake}, over HTTPS). The worker
 * reaches Key Vault exactly as in production: the Azure default credential chain (its
 * managed-identity leg, App Service style, from {@link AppServiceIdentityFake}), the JDK HTTP
 * client, and the SDK's challenge check against a {@code *.vault.azure.net} host, which the worker
 * and CLI JVMs resolve to 127.0.0.1 through {@code jdk.net.hosts.file} and reach over a certificate
 * they are told to trust. Then a rotation whose Key Vault write is refused (403) puts the first
 * three back and leaves the old key working.
 */
class FourStoresEndToEndTest extends OnE2eStack {
  private static final String REGION = "us-east-1";
  private static final String VAULT_HOST = "keyturn-e2e.vault.azure.net";

  static MotoServer moto;
  static GcpSecretManagerFake gcp;
  static KeyVaultFake azure;
  static AppServiceIdentityFake identity;
  static Cli cli;

  @BeforeAll
  static void startStoresAndWorker() throws Exception {
    moto = MotoServer.builder().logFile(dir.resolve("moto.log")).build().start();
    gcp = new GcpSecretManagerFake().start();
    SelfSignedTls tls = SelfSignedTls.create(dir, VAULT_HOST);
    String token = "kv-token-" + UUID.randomUUID();
    azure =
        new KeyVaultFake("https://" + VAULT_HOST)
            .grant(token, KeyVaultFake.Access.READ_WRITE)
            .startHttps(tls.serverContext());
    identity = new AppServiceIdentityFake(token, UUID.randomUUID().toString()).start();
    Path hosts =
        Files.writeString(
            dir.resolve("hosts"),
            "127.0.0.1 localhost "
                + VAULT_HOST
                + " "
                + InetAddress.getLocalHost().getHostName()
                + "\n");
    List<String> jvm = new ArrayList<>(tls.trustStoreOptions());
    jvm.add("-Djdk.net.hosts.file=" + hosts);

    Map<String, String> env = new HashMap<>(stack.workerEnv);
    env.put("AWS_ACCESS_KEY_ID", "test");
    env.put("AWS_SECRET_ACCESS_KEY", "test");
    env.put("AWS_REGION", REGION);
    env.put("IDENTITY_ENDPOINT", identity.endpoint());
    env.put("IDENTITY_HEADER", identity.header());
    List<String> workerJvm = new ArrayList<>(jvm);
    workerJvm.add("-Xmx256m");
    stack.worker.close();
    stack.worker = new WorkerProcess(env, dir.resolve("worker-4.log"), workerJvm).start();
    worker = stack.worker;
    // The CLI checks each destination from here before starting: it must reach the vault too.
    Map<String, String> withJvm = new HashMap<>(cliEnv);
    withJvm.put("JAVA_TOOL_OPTIONS", String.join(" ", jvm));
    cli = new Cli(withJvm);
    System.setProperty("aws.accessKeyId", "test");
    System.setProperty("aws.secretAccessKey", "test");
  }

  @AfterAll
  static void stopStores() {
    for (AutoCloseable c : new AutoCloseable[] {identity, azure, gcp, moto}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // best effort
      }
    }
  }

  private static Cli.Result rotate(String app, String oldKey) throws Exception {
    return cli.run(
        "rotate",
        "--secret-id",
        app,
        "--key-file",
        file(app + "-" + KeyMaterial.tokenHash(oldKey).substring(0, 8) + ".key", oldKey).toString(),
        "--gateway",
        litellm.baseUrl(),
        "--grace",
        "1s",
        "--to",
        "vault-kv2:name=" + app,
        "--to",
        "aws-secretsmanager:secretId=litellm/"
            + app
            + ",region="
            + REGION
            + ",endpoint="
            + moto.address(),
        "--to",
        "gcp-secretmanager:project=keyturn-e2e,name=" + app + ",endpoint=" + gcp.endpoint(),
        "--to",
        "azure-keyvault:vaultUrl=" + azure.httpsVaultUrl() + ",name=" + app,
        "--wait",
        "--json");
  }

  /** What each of the four stores holds now: Vault, AWS, GCP, Azure. */
  private static List<Optional<String>> stores(String app) throws Exception {
    Optional<String> aws;
    try (AwsSecretsManagerStore s =
        new AwsSecretsManagerStore(
            new AwsSecretsManagerConfig.Type()
                .parse(
                    Map.of(
                        "secretId",
                        "litellm/" + app,
                        "region",
                        REGION,
                        "endpoint",
                        moto.address())))) {
      aws = s.currentValue();
    }
    Optional<String> gcpValue;
    try (GcpSecretManagerStore s =
        new GcpSecretManagerStore(
            new GcpSecretManagerConfig("keyturn-e2e", app, false, gcp.endpoint()))) {
      gcpValue = s.currentValue();
    }
    return List.of(VaultKeys.read(bao, "secret", app), aws, gcpValue, azure.currentValue(app));
  }

  private static int bearerStatus(String key) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(litellm.baseUrl() + "/v1/models"))
                .header("Authorization", "Bearer " + key)
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** Rotates {@code app} once to all four; returns the new key (read back from Vault). */
  private static String rotateToAllFour(String app, String old) throws Exception {
    Cli.Result r = rotate(app, old);
    assertThat(r.exit()).as(() -> r.out() + r.err() + log()).isZero();
    String now = VaultKeys.of(bao, app);
    assertThat(stores(app)).as("Vault, AWS, GCP, Azure").containsOnly(Optional.of(now));
    assertThat(r.out() + r.err()).doesNotContain(now).doesNotContain(old);
    return now;
  }

  private static String log() {
    try {
      return worker.log();
    } catch (Exception e) {
      return "";
    }
  }

  @Test
  void aRotationPublishesToVaultAwsGcpAndAzureBeforeRevoking() throws Exception {
    String old =
        litellm.createKey(Map.of("key_alias", "app-four", "models", List.of("gpt-4o-mini")));

    String now = rotateToAllFour("app-four", old);

    assertThat(bearerStatus(now)).isEqualTo(200);
    assertThat(bearerStatus(old)).isEqualTo(401);
    assertThat(azure.requests()).anyMatch(q -> q.startsWith("PUT /secrets/app-four"));
  }

  @Test
  void whenAzureRefusesTheWriteTheFirstThreeHoldTheOldKeyAgain() throws Exception {
    String first =
        litellm.createKey(Map.of("key_alias", "app-fail", "models", List.of("gpt-4o-mini")));
    String old = rotateToAllFour("app-fail", first);
    azure.refuseWrites("app-fail");

    Cli.Result r = rotate("app-fail", old);

    assertThat(r.exit()).as(r.out() + r.err()).isNotZero();
    assertThat(r.out() + r.err()).contains("azure-keyvault").doesNotContain(old);
    assertThat(stores("app-fail")).as("Vault, AWS, GCP, Azure").containsOnly(Optional.of(old));
    assertThat(bearerStatus(old)).as("the old key at the proxy").isEqualTo(200);
    assertThat(litellm.liveKeys())
        .anyMatch(k -> k.tokenHash().equals(KeyMaterial.tokenHash(old)))
        .filteredOn(k -> String.valueOf(k.keyAlias()).startsWith("keyturn-app-fail-g"))
        .as("no key of the failed rotation is left")
        .hasSize(1);
    // The three were written, then put back (not merely never written); Azure was asked.
    assertThat(
            worker.log().lines().filter(l -> l.contains("- restored ") && l.contains("app-fail")))
        .as("restore lines in the worker log")
        .hasSize(3);
    assertThat(azure.requests())
        .filteredOn(q -> q.equals("PUT /secrets/app-fail"))
        .as("the first write and the refused one")
        .hasSizeGreaterThanOrEqualTo(2);
    assertThat(worker.log()).doesNotContain(old);
  }
}
