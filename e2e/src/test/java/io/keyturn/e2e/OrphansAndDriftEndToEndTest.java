package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operator's bad day, end to end on the real Temporal dev server, worker, OpenBao and the CLI:
 * a rotation terminated by hand between mint and publish leaves exactly one orphan, which {@code
 * keyturn orphans} lists (and not the key a running rotation owns, nor one Vault holds) and {@code
 * --delete --yes} removes; a hand edit of Vault shows as drift in {@code keyturn drift}, {@code
 * keyturn list} and the worker's metrics.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OrphansAndDriftEndToEndTest extends OnE2eStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** Terminated between mint and publish: its new key is the orphan. */
  static final String ORPHANED = "app-o";

  /** Stalled in verify while the orphans are listed and deleted, then finished. */
  static final String RUNNING = "app-r";

  static Path yaml;
  static String orphanHash;
  static String runningNewHash;

  /** The stack's worker, started again with its metrics served on a free loopback port. */
  @BeforeAll
  static void workerWithMetrics() throws Exception {
    worker.stop();
    Map<String, String> env = new HashMap<>(stack.workerEnv);
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      env.put("KEYTURN_METRICS_PORT", String.valueOf(free.getLocalPort()));
    }
    env.put("KEYTURN_METRICS_HOST", "127.0.0.1");
    worker = new WorkerProcess(env, dir.resolve("worker-metrics.log")).start();
    stack.worker = worker;
  }

  private static String secretYaml(String id, boolean paused) {
    return """
          - id: %s
            gateway:
              url: %s
              managementKey: {env: LITELLM_MASTER_KEY}
            currentKey: {file: %s.key}
            destinations:
              - type: vault-kv2
                name: %s
            schedule: {every: 1h, paused: %s}
            grace: 1s
        """
        .formatted(id, litellm.baseUrl(), id, id, paused);
  }

  private static Path config() throws Exception {
    if (yaml == null) {
      yaml =
          file(
              "keyturn.yaml",
              "apiVersion: keyturn/v1\nsecrets:\n"
                  + secretYaml(ORPHANED, true)
                  + secretYaml(RUNNING, true));
    }
    return yaml;
  }

  private static void startRotation(String id) throws Exception {
    Path key = file(id + ".key", litellm.createKey(Map.of("key_alias", id)));
    Cli.Result r =
        keyturn(
            "rotate",
            "--gateway",
            litellm.baseUrl(),
            "--secret-id",
            id,
            "--key-file",
            key.toString(),
            "--grace",
            "1s",
            "--generation",
            "1");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
  }

  /** Waits until the rotation of {@code id} has minted and is stuck verifying. */
  private static String awaitMintedAndVerifying(String id) throws Exception {
    KeyRotationWorkflow wf =
        client.newWorkflowStub(KeyRotationWorkflow.class, RotationRequest.workflowId(id));
    Instant deadline = Instant.now().plus(Duration.ofSeconds(90));
    while (Instant.now().isBefore(deadline)) {
      Optional<EmulatedKey> minted = liveKey("keyturn-" + id + "-g1");
      RotationPhase phase = null;
      try {
        phase = wf.status().phase();
      } catch (RuntimeException e) {
        // Not started yet.
      }
      if (minted.isPresent() && phase == RotationPhase.VERIFYING) {
        return minted.get().tokenHash();
      }
      Thread.sleep(250);
    }
    throw new AssertionError(id + " did not mint and reach VERIFYING within 90 s");
  }

  private static Optional<EmulatedKey> liveKey(String alias) {
    return litellm.liveKeys().stream().filter(k -> alias.equals(k.keyAlias())).findFirst();
  }

  private static boolean live(String tokenHash) {
    return litellm.liveKeys().stream().anyMatch(k -> k.tokenHash().equals(tokenHash));
  }

  @Test
  @Order(1)
  void aRotationTerminatedBetweenMintAndPublishLeavesExactlyOneOrphan() throws Exception {
    // Verify fails (retryably) until the faults are cleared: both rotations stop after minting.
    litellm.faults().failNext("/v1/models", 503, 1_000_000);
    try {
      startRotation(ORPHANED);
      startRotation(RUNNING);
      orphanHash = awaitMintedAndVerifying(ORPHANED);
      runningNewHash = awaitMintedAndVerifying(RUNNING);
      client
          .newUntypedWorkflowStub(RotationRequest.workflowId(ORPHANED))
          .terminate("operator stop between mint and publish (test)");

      Cli.Result r = keyturn("orphans", "-f", config().toString(), "--json");
      assertThat(r.exit()).as(r.out() + r.err()).isZero();
      JsonNode report = JSON.readTree(r.out());
      assertThat(report.path("orphans")).hasSize(1);
      JsonNode o = report.path("orphans").get(0);
      assertThat(o.path("tokenHash").asText()).isEqualTo(orphanHash);
      assertThat(o.path("alias").asText()).isEqualTo("keyturn-app-o-g1");
      assertThat(o.path("secretId").asText()).isEqualTo(ORPHANED);
      assertThat(o.path("generation").asLong()).isEqualTo(1);
      assertThat(o.path("createdAt").asText()).isNotBlank();
      assertThat(o.path("evidence").toString())
          .contains("minted by rotation/app-o")
          .contains("no destination holds it")
          .contains("vault-kv2")
          .contains("no rotation of app-o runs");
      assertThat(sample("keyturn_orphan_keys ", "")).isEqualTo(1.0);
      // The running rotation's new key (and the key it replaces) are not orphans.
      assertThat(r.out()).doesNotContain(runningNewHash).doesNotContain("keyturn-app-r-g1");

      Cli.Result text = keyturn("orphans", "-f", config().toString());
      assertThat(text.exit()).as(text.err()).isZero();
      assertThat(text.out())
          .contains("1 orphan(s)")
          .contains("keyturn-app-o-g1")
          .contains("--delete")
          .doesNotContain("keyturn-app-r-g1");

      // No terminal to ask on and no --yes: a clear refusal, nothing deleted.
      Cli.Result refused = keyturn("orphans", "-f", config().toString(), "--delete");
      assertThat(refused.exit()).as(refused.out() + refused.err()).isEqualTo(2);
      assertThat(refused.err())
          .contains("not interactive")
          .contains("nothing was listed or deleted")
          .contains("--delete --yes");
      assertThat(live(orphanHash)).isTrue();

      Cli.Result deleted = keyturn("orphans", "-f", config().toString(), "--delete", "--yes");
      assertThat(deleted.exit()).as(deleted.out() + deleted.err()).isZero();
      assertThat(deleted.out()).contains("keyturn-app-o-g1").contains("1 of 1 deleted");
      assertThat(live(orphanHash)).as("the orphan is gone").isFalse();
      assertThat(live(runningNewHash)).as("the running rotation's key stays").isTrue();
    } finally {
      litellm.faults().clear();
    }
  }

  @Test
  @Order(2)
  void aKeyVaultHoldsIsNeverAnOrphan() throws Exception {
    RotationResult done =
        client
            .newUntypedWorkflowStub(RotationRequest.workflowId(RUNNING))
            .getResult(180, TimeUnit.SECONDS, RotationResult.class);
    assertThat(done.newKey().tokenHash()).isEqualTo(runningNewHash);
    assertThat(KeyMaterial.tokenHash(VaultKeys.of(bao, RUNNING))).isEqualTo(runningNewHash);

    Cli.Result r = keyturn("orphans", "-f", config().toString());
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("No orphans").doesNotContain("keyturn-app-r-g1");
    assertThat(sample("keyturn_orphan_keys ", "")).isEqualTo(0.0);
  }

  @Test
  @Order(3)
  void aHandEditOfVaultIsDriftInDriftListAndTheMetric() throws Exception {
    Path one =
        file("app-r-only.yaml", "apiVersion: keyturn/v1\nsecrets:\n" + secretYaml(RUNNING, true));
    Cli.Result apply = keyturn("apply", "-f", one.toString());
    assertThat(apply.exit()).as(apply.out() + apply.err()).isZero();

    Cli.Result clean = keyturn("drift", "-f", config().toString(), RUNNING);
    assertThat(clean.exit()).as(clean.out() + clean.err()).isZero();
    assertThat(clean.out()).contains("app-r  ok");
    assertThat(metric(RUNNING)).isEqualTo(0.0);

    String handWritten = "sk-written-by-hand-" + "x".repeat(22);
    writeVault(RUNNING, handWritten);

    Cli.Result drift = keyturn("drift", "-f", config().toString(), RUNNING);
    assertThat(drift.exit()).as(drift.out() + drift.err()).isEqualTo(3);
    assertThat(drift.out())
        .contains("app-r  DRIFT")
        .contains("the last completed rotation published")
        .contains("has no live key")
        .contains("Nothing was changed")
        .doesNotContain(handWritten);
    assertThat(VaultKeys.of(bao, RUNNING)).as("never a silent fix").isEqualTo(handWritten);
    assertThat(metric(RUNNING)).isEqualTo(1.0);

    Cli.Result list = keyturn("list");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out()).contains("app-r").contains("DRIFT:").doesNotContain(handWritten);
    Cli.Result listJson = keyturn("list", "--json");
    assertThat(
            JSON.readTree(listJson.out())
                .path("secrets")
                .get(0)
                .path("drift")
                .path("state")
                .asText())
        .isEqualTo("drift");

    Cli.Result unknown = keyturn("drift", "-f", config().toString(), "nope");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("no secret 'nope'").contains("app-r");
  }

  @Test
  @Order(4)
  void bothCanRunOnASchedule() throws Exception {
    Cli.Result o = keyturn("orphans", "-f", config().toString(), "--schedule", "6h");
    assertThat(o.exit()).as(o.out() + o.err()).isZero();
    assertThat(o.out()).contains("Created schedule keyturn-orphans");
    Cli.Result d = keyturn("drift", "-f", config().toString(), "--schedule", "1h");
    assertThat(d.exit()).as(d.out() + d.err()).isZero();
    assertThat(d.out()).contains("Created schedule keyturn-drift");
    Cli.Result again = keyturn("drift", "-f", config().toString(), "--schedule", "2h");
    assertThat(again.out()).contains("Updated schedule keyturn-drift");
    Cli.Result gone = keyturn("orphans", "-f", config().toString(), "--unschedule");
    assertThat(gone.out()).contains("Deleted schedule keyturn-orphans");
    // Theirs are not rotation schedules: list still shows only the secret.
    Cli.Result list = keyturn("list", "--json");
    assertThat(JSON.readTree(list.out()).path("secrets")).hasSize(1);
  }

  private static void writeVault(String name, String value) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(bao.address() + "/v1/secret/data/litellm/" + name))
                .header("X-Vault-Token", bao.rootToken())
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        JSON.writeValueAsString(Map.of("data", Map.of("key", value)))))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  /** {@code keyturn_drift{secret}} as the worker serves it. */
  private static Double metric(String secret) throws Exception {
    return sample("keyturn_drift{", "secret=\"" + secret + "\"");
  }

  /**
   * The value of the first sample whose line starts with {@code start} and contains {@code has}.
   */
  private static Double sample(String start, String has) throws Exception {
    Matcher m = Pattern.compile("metrics on http://([^/\\s]+)/metrics").matcher(worker.log());
    String at = null;
    while (m.find()) {
      at = m.group(1);
    }
    assertThat(at).as("the worker logs where it serves metrics").isNotNull();
    String body =
        HTTP.send(
                HttpRequest.newBuilder(URI.create("http://" + at + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    for (String line : body.split("\n")) {
      if (line.startsWith(start) && line.contains(has)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return null;
  }
}
