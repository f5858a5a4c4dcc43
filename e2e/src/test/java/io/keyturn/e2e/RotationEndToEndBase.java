package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.util.JsonFormat;
import io.keyturn.testkit.launch.FreePorts;
import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.testkit.launch.TemporalDevServer;
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.client.TemporalConnection;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.history.v1.History;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole product as a user runs it: the real Temporal dev server (SQLite file), real OpenBao,
 * the real worker process, the real {@code keyturn} CLI, and a LiteLLM chosen by the subclass: the
 * emulator ({@link RotationEndToEndEmulatorTest}) or LiteLLM's own proxy code ({@link
 * RotationEndToEndRealLiteLlmTest}). The tests see LiteLLM only through its management API, so both
 * answer to the same assertions. Grace periods are seconds, since a real server cannot skip time.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RotationEndToEndBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  Path dir;
  TemporalDevServer temporal;
  OpenBaoDevServer bao;
  LiteLlmUnderTest litellm;
  WorkerProcess worker;
  Map<String, String> workerEnv;
  Cli cli;
  String masterKey;
  String payloadKey;
  WorkerKeyring keyring;
  WorkflowServiceStubs stubs;
  WorkflowClient client;
  int codecPort;
  String codecToken;

  /** Every key value the tests have seen, to look for in raw histories at the end. */
  final List<String> secretsSeen = new ArrayList<>();

  final List<String> workflowIds = new ArrayList<>();

  /** Starts the LiteLLM under test with this master key, listing these models. */
  abstract LiteLlmUnderTest startLiteLlm(String masterKey, List<String> models, Path dir)
      throws Exception;

  /**
   * The revoke receipt's proof this LiteLLM earns: how {@code /key/info} answers for a key deleted
   * by {@code /key/delete}, then the old key refused as a bearer.
   */
  String revokeProof() {
    return "/key/info (answers 404|shows it deleted.*); refused as bearer \\(401\\)";
  }

  @BeforeAll
  void startEverything(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    temporal = TemporalDevServer.builder().dbFile(dir.resolve("temporal.sqlite")).build().start();
    bao = OpenBaoDevServer.builder().build().start();
    masterKey = "sk-master-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "");
    litellm = startLiteLlm(masterKey, List.of("gpt-4o-mini", "claude-haiku"), dir);
    payloadKey = PayloadKeys.generateBase64();
    keyring = WorkerKeyring.generate();
    Path payloadKeyFile = secretFile("payload.key", payloadKey);
    Path keyringFile = secretFile("worker-keyring.json", keyring.toJson());
    Path publicKeyFile = secretFile("worker.pub", keyring.currentPublicKey().text());
    Path masterFile = secretFile("litellm-master.key", masterKey);
    Path vaultTokenFile = secretFile("vault.token", bao.rootToken());
    secretsSeen.add(masterKey);
    secretsSeen.add(bao.rootToken());
    secretsSeen.add(payloadKey);
    // The keyring's seeds: no history, log or CLI output may hold them.
    java.util.regex.Matcher seeds =
        java.util.regex.Pattern.compile("\"seed\" : \"([^\"]+)\"").matcher(keyring.toJson());
    while (seeds.find()) {
      secretsSeen.add(seeds.group(1));
    }

    workerEnv = new HashMap<>();
    workerEnv.put("TEMPORAL_ADDRESS", temporal.address());
    workerEnv.put("LITELLM_MASTER_KEY_FILE", masterFile.toString());
    workerEnv.put("VAULT_ADDR", bao.address());
    workerEnv.put("VAULT_TOKEN_FILE", vaultTokenFile.toString());
    workerEnv.put("KEYTURN_WORKER_KEYRING_FILE", keyringFile.toString());
    workerEnv.put("KEYTURN_PAYLOAD_KEY_FILE", payloadKeyFile.toString());
    workerEnv.put("KEYTURN_LOG_LEVEL", "DEBUG");
    codecPort = FreePorts.pick();
    codecToken = "codec-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "");
    secretsSeen.add(codecToken);
    workerEnv.put("KEYTURN_CODEC_PORT", "" + codecPort);
    workerEnv.put("KEYTURN_CODEC_TOKEN_FILE", secretFile("codec.token", codecToken).toString());
    worker = new WorkerProcess(workerEnv, dir.resolve("worker.log")).start();

    cli =
        new Cli(
            Map.of(
                "TEMPORAL_ADDRESS", temporal.address(),
                "KEYTURN_PAYLOAD_KEY_FILE", payloadKeyFile.toString(),
                "KEYTURN_WORKER_PUBLIC_KEY_FILE", publicKeyFile.toString(),
                "LITELLM_URL", litellm.baseUrl()));
    TemporalConnection temporalConnection = TemporalConnection.local(temporal.address());
    stubs = temporalConnection.openStubs();
    // The worker encrypts payloads; this client reads them as the CLI does, with the secret.
    client =
        temporalConnection.client(
            stubs, KeyturnPayloadCodec.dataConverter(PayloadKeys.parse(payloadKey)));
  }

  @AfterAll
  void stopEverything() throws Exception {
    if (stubs != null) {
      stubs.shutdownNow();
    }
    for (AutoCloseable c : new AutoCloseable[] {worker, litellm, bao, temporal}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private Path secretFile(String name, String value) throws Exception {
    return E2eStack.file(dir, name, value);
  }

  /** Seeds the key an application uses today, with a policy the rotation must carry over. */
  private String seedOldKey(String app) throws Exception {
    Map<String, Object> body = new HashMap<>();
    body.put("key_alias", app);
    body.put("models", List.of("gpt-4o-mini"));
    body.put("max_budget", 25.0);
    body.put("metadata", Map.of("owner", "team-" + app));
    String raw = litellm.createKey(body);
    secretsSeen.add(raw);
    return raw;
  }

  private Path keyFile(String app, String raw) throws Exception {
    return secretFile(app + ".key", raw);
  }

  /**
   * Starts a rotation of {@code app} from the CLI without waiting, and waits until it is in its
   * grace period. Returns its workflow id.
   */
  private String rotateIntoGrace(String app, String oldRaw, String grace) throws Exception {
    Cli.Result r =
        cli.run(
            "rotate",
            "--secret-id",
            app,
            "--key-file",
            keyFile(app, oldRaw).toString(),
            "--grace",
            grace,
            "--generation",
            "1");
    assertThat(r.exit()).as(r.err()).isZero();
    String id = RotationRequest.workflowId(app);
    awaitPhase(id, RotationPhase.IN_GRACE, Duration.ofSeconds(60));
    return id;
  }

  private void awaitPhase(String workflowId, RotationPhase phase, Duration within)
      throws Exception {
    KeyRotationWorkflow wf = client.newWorkflowStub(KeyRotationWorkflow.class, workflowId);
    Instant deadline = Instant.now().plus(within);
    RotationPhase last = null;
    while (Instant.now().isBefore(deadline)) {
      try {
        last = wf.status().phase();
        if (last == phase) {
          return;
        }
      } catch (RuntimeException e) {
        // The workflow may not have had its first task yet.
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        workflowId + " did not reach " + phase + " within " + within + " (last " + last + ")");
  }

  /**
   * After a rotation: the old key is gone and refused as a bearer, exactly one live Keyturn key
   * exists for the secret, it is the one the worker derived, it carries the old key's policy, Vault
   * holds it and it works as a bearer, and the receipt says this rotation deleted the old key.
   * Waits up to {@code within} for the rotation to finish; returns its receipt.
   */
  private RotationResult assertRotated(
      String app, String oldRaw, String workflowId, Duration within) throws Exception {
    RotationResult result =
        client
            .newUntypedWorkflowStub(workflowId)
            .getResult(within.toSeconds(), TimeUnit.SECONDS, RotationResult.class);
    String oldHash = KeyMaterial.tokenHash(oldRaw);
    assertThat(litellm.isLive(oldHash)).as("old key of " + app + " still listed").isFalse();
    // An application still holding the old key is refused.
    assertThat(litellm.bearerStatus(oldRaw))
        .as(() -> "GET /v1/models with the old key of " + app + litellm.logTail())
        .isEqualTo(401);
    List<LiteLlmUnderTest.LiveKey> ours = litellm.liveKeysWithAliasPrefix("keyturn-" + app + "-g");
    assertThat(ours).as("live Keyturn keys for " + app).hasSize(1);
    LiteLlmUnderTest.LiveKey live = ours.get(0);
    assertThat(live.models()).containsExactly("gpt-4o-mini");
    assertThat(live.metadata())
        .containsEntry("owner", "team-" + app)
        .containsEntry("keyturn_rotated_from", oldHash);

    String inVault = VaultKeys.of(bao, app);
    secretsSeen.add(inVault);
    assertThat(KeyMaterial.tokenHash(inVault))
        .as("Vault holds the live key")
        .isEqualTo(live.tokenHash());
    assertThat(litellm.bearerStatus(inVault))
        .as(() -> "GET /v1/models with the new key from Vault" + litellm.logTail())
        .isEqualTo(200);

    // The worker derived exactly this value: recompute it from the public derivation in history.
    WorkflowStub stub = client.newUntypedWorkflowStub(workflowId);
    String firstRunId = stub.describe().getExecution().getRunId();
    String derived =
        keyring.deriveKey(
            new KeyDerivation(workflowId, live.keyAlias(), firstRunId, keyring.currentKeyId()));
    assertThat(derived).isEqualTo(inVault);

    // The receipt says this rotation deleted the old key, and how the rejection was proven.
    assertThat(result.revoked().key().tokenHash()).isEqualTo(oldHash);
    assertThat(result.revoked().alreadyGone()).as(result.revoked().toString()).isFalse();
    assertThat(result.revoked().proofOfRejection()).matches(revokeProof());
    workflowIds.add(workflowId);
    return result;
  }

  @Test
  @Order(1)
  void aRotationStartedFromTheCliCompletes() throws Exception {
    String oldRaw = seedOldKey("app-a");
    Path keyFile = keyFile("app-a", oldRaw);
    Cli.Result r =
        cli.run(
            "rotate",
            "--secret-id",
            "app-a",
            "--key-file",
            keyFile.toString(),
            "--grace",
            "2s",
            "--generation",
            "1",
            "--wait",
            "--json");
    assertThat(r.exit())
        .as(
            () ->
                "keyturn rotate exit; out:\n" + r.out() + "\nerr:\n" + r.err() + litellm.logTail())
        .isZero();
    JsonNode out = JSON.readTree(r.out());
    assertThat(out.toString()).contains("COMPLETED");
    assertThat(r.out() + r.err()).doesNotContain(oldRaw).doesNotContain(masterKey);
    assertRotated("app-a", oldRaw, RotationRequest.workflowId("app-a"), Duration.ofSeconds(5));
  }

  @Test
  @Order(2)
  void aRotationSurvivesTheWorkerBeingKilledDuringTheGracePeriod() throws Exception {
    String oldRaw = seedOldKey("app-b");
    String id = rotateIntoGrace("app-b", oldRaw, "8s");

    worker.kill();
    Thread.sleep(10_000); // the grace timer fires while no worker runs
    // Nothing revokes without a worker: the old key is listed and still works.
    assertThat(litellm.isLive(KeyMaterial.tokenHash(oldRaw))).isTrue();
    assertThat(litellm.bearerStatus(oldRaw)).isEqualTo(200);
    worker = new WorkerProcess(workerEnv, dir.resolve("worker.log")).start();

    assertRotated("app-b", oldRaw, id, Duration.ofSeconds(90));
  }

  @Test
  @Order(3)
  void aRotationSurvivesATemporalServerRestartDuringTheGracePeriod() throws Exception {
    String oldRaw = seedOldKey("app-c");
    String id = rotateIntoGrace("app-c", oldRaw, "8s");

    temporal.stop();
    Thread.sleep(3_000);
    temporal.restart();

    assertRotated("app-c", oldRaw, id, Duration.ofSeconds(120));
  }

  @Test
  @Order(4)
  void revokeNowFromTheCliEndsAWeekLongGracePeriod() throws Exception {
    String oldRaw = seedOldKey("app-d");
    String id = rotateIntoGrace("app-d", oldRaw, "7d");
    Cli.Result status = cli.run("status", id, "--json");
    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(status.out()).contains("IN_GRACE").doesNotContain(oldRaw);

    Cli.Result now = cli.run("revoke-now", id, "--reason", "e2e test");
    assertThat(now.exit()).as(now.err()).isZero();
    RotationResult result = assertRotated("app-d", oldRaw, id, Duration.ofSeconds(60));
    assertThat(result.revokedEarly()).isTrue();
  }

  @Test
  @Order(10)
  void rawHistoriesHoldNoKeyValueAndTheWorkerLogNeither() throws Exception {
    assertThat(workflowIds).as("earlier tests ran rotations").isNotEmpty();
    assertThat(secretsSeen).hasSizeGreaterThan(3);
    for (String id : workflowIds) {
      byte[] raw = rawHistory(id);
      String asText = new String(raw, StandardCharsets.ISO_8859_1);
      // Positive control: the history is the real one (task queue and search attribute are plain).
      assertThat(asText).contains("keyturn-rotations").contains("KeyturnSecretId");
      for (String secret : secretsSeen) {
        String label =
            "history of " + id + " holds a secret ending " + secret.substring(secret.length() - 4);
        assertThat(asText).as(label).doesNotContain(secret);
        assertThat(asText)
            .as(label + " (base64)")
            .doesNotContain(
                Base64.getEncoder().encodeToString(secret.getBytes(StandardCharsets.UTF_8)));
      }
    }
    String log = worker.log();
    assertThat(log).contains("Keyturn worker started");
    for (String secret : secretsSeen) {
      assertThat(log).as("worker log holds a secret").doesNotContain(secret);
    }
  }

  @Test
  @Order(9)
  void historiesHoldOnlyEncryptedPayloadsThatTheWorkersCodecEndpointDecodes() throws Exception {
    assertThat(workflowIds).as("earlier tests ran rotations").isNotEmpty();
    String id = workflowIds.get(0);
    Map<String, List<Payload>> byKind = new java.util.TreeMap<>();
    for (HistoryEvent e : rawEvents(id)) {
      if (e.hasWorkflowExecutionStartedEventAttributes()) {
        var a = e.getWorkflowExecutionStartedEventAttributes();
        add(byKind, "workflow input", a.getInput().getPayloadsList());
        add(byKind, "memo", a.getMemo().getFieldsMap().values());
      }
      if (e.hasUserMetadata() && e.getUserMetadata().hasSummary()) {
        add(byKind, "summary", List.of(e.getUserMetadata().getSummary()));
      }
      if (e.hasWorkflowExecutionCompletedEventAttributes()) {
        add(
            byKind,
            "workflow result",
            e.getWorkflowExecutionCompletedEventAttributes().getResult().getPayloadsList());
      }
      if (e.hasActivityTaskScheduledEventAttributes()) {
        add(
            byKind,
            "activity input",
            e.getActivityTaskScheduledEventAttributes().getInput().getPayloadsList());
      }
      if (e.hasActivityTaskCompletedEventAttributes()) {
        add(
            byKind,
            "activity result",
            e.getActivityTaskCompletedEventAttributes().getResult().getPayloadsList());
      }
      // Local activities (import, mint, verify...) leave a marker: its result goes through the
      // same codec; the SDK writes its own bookkeeping beside it in plain JSON (activity id, type,
      // time, attempt and first schedule time), which holds nothing of the rotation's. No
      // "input": the rotation leaves arguments out of its markers.
      if (e.hasMarkerRecordedEventAttributes()) {
        var details = e.getMarkerRecordedEventAttributes().getDetailsMap();
        assertThat(details.keySet())
            .as("marker fields in the history of " + id)
            .isSubsetOf("result", "activityId", "type", "time", "meta");
        if (details.containsKey("result")) {
          add(byKind, "local activity result", details.get("result").getPayloadsList());
        }
      }
    }
    assertThat(byKind)
        .as("payload kinds in the history of " + id)
        .containsKeys(
            "workflow input",
            "workflow result",
            "activity input",
            "activity result",
            "local activity result",
            "summary");
    byKind.forEach(
        (kind, payloads) ->
            assertThat(payloads)
                .as(kind + " of " + id + " is binary/encrypted")
                .isNotEmpty()
                .allSatisfy(
                    p ->
                        assertThat(p.getMetadataOrThrow("encoding").toStringUtf8())
                            .isEqualTo("binary/encrypted")));

    // A client without the codec cannot read the result; one with it (the CLI's) can.
    assertThatThrownBy(
            () ->
                WorkflowClient.newInstance(stubs)
                    .newUntypedWorkflowStub(id)
                    .getResult(5, TimeUnit.SECONDS, RotationResult.class))
        .hasStackTraceContaining("binary/encrypted");
    assertThat(
            client
                .newUntypedWorkflowStub(id)
                .getResult(5, TimeUnit.SECONDS, RotationResult.class)
                .secretId())
        .isEqualTo("app-a");

    // The worker's codec endpoint, as the Temporal UI calls it, turns the input back into JSON.
    String body =
        JsonFormat.printer()
            .print(Payloads.newBuilder().addAllPayloads(byKind.get("workflow input")));
    HttpResponse<String> decoded = codec("/decode", body, "Bearer " + codecToken);
    assertThat(decoded.statusCode()).as(decoded.body()).isEqualTo(200);
    Payloads.Builder plain = Payloads.newBuilder();
    JsonFormat.parser().merge(decoded.body(), plain);
    Payload input = plain.getPayloads(0);
    assertThat(input.getMetadataOrThrow("encoding").toStringUtf8()).isEqualTo("json/plain");
    JsonNode request = JSON.readTree(input.getData().toStringUtf8());
    assertThat(request.path("secretId").asText()).isEqualTo("app-a");
    assertThat(request.path("oldKey").path("tokenHash").asText()).hasSize(64);
    for (String secret : secretsSeen) {
      assertThat(decoded.body()).as("decoded input holds a secret").doesNotContain(secret);
    }
    assertThat(codec("/decode", body, null).statusCode()).as("no token").isEqualTo(401);
    assertThat(codec("/decode", body, "Bearer not-" + codecToken).statusCode()).isEqualTo(401);
  }

  private static void add(
      Map<String, List<Payload>> byKind, String kind, java.util.Collection<Payload> ps) {
    if (!ps.isEmpty()) {
      byKind.computeIfAbsent(kind, k -> new ArrayList<>()).addAll(ps);
    }
  }

  private HttpResponse<String> codec(String path, String body, String authorization)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + codecPort + path))
            .header("Content-Type", "application/json")
            .header("X-Namespace", "default")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (authorization != null) {
      b.header("Authorization", authorization);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<HistoryEvent> rawEvents(String workflowId) {
    List<HistoryEvent> out = new ArrayList<>();
    com.google.protobuf.ByteString token = com.google.protobuf.ByteString.EMPTY;
    do {
      GetWorkflowExecutionHistoryResponse resp =
          stubs
              .blockingStub()
              .getWorkflowExecutionHistory(
                  GetWorkflowExecutionHistoryRequest.newBuilder()
                      .setNamespace("default")
                      .setExecution(WorkflowExecution.newBuilder().setWorkflowId(workflowId))
                      .setNextPageToken(token)
                      .build());
      out.addAll(resp.getHistory().getEventsList());
      token = resp.getNextPageToken();
    } while (!token.isEmpty());
    return out;
  }

  @Test
  @Order(11)
  void theWorkerStopsGracefullyOnSigterm() throws Exception {
    worker.stop();
    assertThat(worker.log()).contains("Keyturn worker stopping").contains("Keyturn worker stopped");
  }

  private byte[] rawHistory(String workflowId) {
    return History.newBuilder().addAllEvents(rawEvents(workflowId)).build().toByteArray();
  }
}
