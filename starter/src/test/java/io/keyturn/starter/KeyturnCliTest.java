package io.keyturn.starter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import io.keyturn.starter.CliRunner.Run;
import io.keyturn.starter.commands.RotateCommand;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.WorkerKeysWorkflow;
import io.keyturn.workflows.client.TemporalConnection;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.SecretFiles;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The real commands, in-process, against an in-memory Temporal running {@link
 * FakeKeyRotationWorkflow}. Every test uses its own secret id, so they share one server.
 */
class KeyturnCliTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String UI = "http://ui.test:8233";
  static final KeyturnCli.Timing TIMING =
      new KeyturnCli.Timing(Duration.ofMillis(50), Duration.ofMillis(500));

  /** The payload key the worker and the CLI share: payloads in history are encrypted with it. */
  static final String SECRET = TestKeys.PAYLOAD_KEY;

  static TestWorkflowEnvironment temporal;
  static WorkflowClient client;
  static final List<TemporalConnection> connections = new ArrayList<>();

  /** The in-memory server, with the converter the CLI built from its environment. */
  static final CliRunner CLI =
      CliRunner.with(
              (connection, dataConverter) -> {
                connections.add(connection);
                return new TemporalClients.Session(
                    WorkflowClient.newInstance(
                        temporal.getWorkflowServiceStubs(),
                        WorkflowClientOptions.newBuilder()
                            .setNamespace(client.getOptions().getNamespace())
                            .setDataConverter(dataConverter)
                            .build()),
                    () -> {});
              })
          .timing(TIMING)
          // These gateways and stores are made up: RotationPreflightTest checks the checks.
          .skippingChecksOf("rotate");

  @TempDir Path dir;

  @BeforeAll
  static void startTemporal() {
    // Real time, not skipped: the CLI polls with queries, which do not move a skipping clock.
    temporal =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setUseTimeskipping(false)
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder().setDataConverter(TestKeys.CONVERTER).build())
                .build());
    Worker worker = temporal.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    worker.registerWorkflowImplementationTypes(FakeKeyRotationWorkflow.class);
    TestKeys.serveWorkerKeys(
        temporal.newWorker(WorkerKeysWorkflow.taskQueueFor(KeyRotationWorkflow.TASK_QUEUE)));
    temporal.start();
    client = temporal.getWorkflowClient();
  }

  @AfterAll
  static void stopTemporal() {
    temporal.close();
  }

  /**
   * Runs the CLI with {@code env}; the payload key and the worker's public key are added unless the
   * test names them itself (blank: none).
   */
  static Run run(Map<String, String> env, String stdin, Clock clock, String... args) {
    Map<String, String> withSecret = new HashMap<>(env);
    TestKeys.addCliKeys(withSecret);
    return CLI.run(withSecret, stdin, false, clock, args);
  }

  static Run run(Map<String, String> env, String... args) {
    return run(env, "", Clock.systemUTC(), args);
  }

  static Run run(String... args) {
    return run(Map.of(), args);
  }

  /**
   * A rotate of {@code secretId} refused before it started: a usage error, {@code raw} never
   * printed, and no rotation of that secret to find.
   */
  static void assertRefusedBeforeStarting(Run r, String raw, String secretId) {
    assertThat(r.exit()).as(r.all()).isEqualTo(2);
    assertNoKey(raw, r.all());
    assertThat(run("status", "rotation/" + secretId).exit()).isEqualTo(1);
  }

  /** {@code rotate} of {@code secretId} at generation 1 from the key in $OLD_KEY of {@code env}. */
  static Run rotateFromOldKey(Map<String, String> env, String secretId, String... more) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of("rotate", "--secret-id", secretId, "--key-env", "OLD_KEY", "--generation", "1"));
    args.addAll(List.of(more));
    return run(env, args.toArray(String[]::new));
  }

  /** A raw key as LiteLLM makes them; unique per call so no test finds another's. */
  static String rawKey() {
    return "sk-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "").substring(0, 22);
  }

  Path keyFile(String raw) throws Exception {
    Path p = Files.createTempFile(dir, "old", ".key");
    Files.writeString(p, raw + "\n", StandardCharsets.UTF_8);
    return p;
  }

  /** The payload the workflow was started with, as stored in history. */
  static Payload startInput(String workflowId) {
    HistoryEvent first = client.fetchHistory(workflowId).getHistory().getEvents(0);
    return first.getWorkflowExecutionStartedEventAttributes().getInput().getPayloads(0);
  }

  static RotationRequest startedWith(String workflowId) {
    return client
        .getOptions()
        .getDataConverter()
        .fromPayload(startInput(workflowId), RotationRequest.class, RotationRequest.class);
  }

  static void awaitPhase(String workflowId, RotationPhase phase) throws InterruptedException {
    KeyRotationWorkflow wf = client.newWorkflowStub(KeyRotationWorkflow.class, workflowId);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      try {
        if (wf.status().phase() == phase) {
          return;
        }
      } catch (RuntimeException e) {
        // not answering yet
      }
      Thread.sleep(20);
    }
    throw new AssertionError(workflowId + " did not reach " + phase);
  }

  static void assertNoKey(String raw, String... texts) {
    String b64 = Base64.getEncoder().encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    for (String t : texts) {
      assertThat(t).doesNotContain(raw).doesNotContain(raw.substring(3)).doesNotContain(b64);
    }
  }

  @Test
  void rotateFromAKeyFileStartsAWorkflowThatCarriesTheHashAndNeverTheKey() throws Exception {
    String raw = rawKey();
    String secret = SECRET;
    Run r =
        run(
            Map.of(
                "KEYTURN_PAYLOAD_KEY_FILE",
                keyFile(secret).toString(),
                "KEYTURN_WORKER_PUBLIC_KEY_FILE",
                keyFile(TestKeys.KEYRING.currentPublicKey().text()).toString(),
                "LITELLM_URL",
                "https://llm.test/"),
            "rotate",
            "--secret-id",
            "app-file",
            "--key-file",
            keyFile(raw).toString(),
            "--generation",
            "7",
            "--grace",
            "2h",
            "--vault-prefix",
            "teams/billing",
            "--vault-name",
            "svc-a",
            "--vault-field",
            "api_key",
            "--ui-url",
            UI + "/");

    assertThat(r.exit()).as(r.err()).isZero();
    String id = "rotation/app-file";
    assertThat(r.out())
        .contains(id)
        .contains(KeyMaterial.ref(raw).fingerprint())
        .contains("keyturn-app-file-g7")
        .contains("secret/teams/billing/svc-a#api_key")
        .contains("2h")
        .contains(UI + "/namespaces/default/workflows/rotation%2Fapp-file");
    assertThat(r.err()).doesNotContain("note:");

    RotationRequest req = startedWith(id);
    assertThat(req.oldKey().tokenHash()).isEqualTo(KeyMaterial.tokenHash(raw));
    assertThat(req.oldKey().keyName()).isEqualTo(KeyMaterial.keyName(raw));
    assertThat(req.newKeyAlias()).isEqualTo("keyturn-app-file-g7");
    assertThat(req.gatewayUrl()).isEqualTo("https://llm.test");
    assertThat(req.gracePeriod()).isEqualTo(Duration.ofHours(2));
    assertThat(req.destinations())
        .containsExactly(
            new Destination(
                "vault-kv2",
                Map.of("pathPrefix", "teams/billing", "name", "svc-a", "field", "api_key")));
    assertThat(TestKeys.KEYRING.open(req.oldKeySealed()))
        .as("the worker can open the sealed old key")
        .isEqualTo(raw);

    // History holds the input encrypted; decoded, it names the old key by its hash only.
    Payload stored = startInput(id);
    assertThat(KeyturnPayloadCodec.isEncrypted(stored)).isTrue();
    assertThat(stored.toByteString().toString(StandardCharsets.ISO_8859_1))
        .doesNotContain(KeyMaterial.tokenHash(raw))
        .doesNotContain("app-file");
    String payload =
        KeyturnPayloadCodec.of(TestKeys.PAYLOAD)
            .decode(List.of(stored))
            .get(0)
            .getData()
            .toStringUtf8();
    assertThat(payload).as("positive control").contains(KeyMaterial.tokenHash(raw));
    assertNoKey(raw, r.out(), r.err(), payload, req.toString());
  }

  @Test
  void rotateFromAnEnvironmentVariableSealsTheKeyForTheWorker() {
    String raw = rawKey();
    Run r = rotateFromOldKey(Map.of("OLD_KEY", raw), "app-env");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).doesNotContain("note:");
    RotationRequest req = startedWith("rotation/app-env");
    assertThat(req.oldKey().tokenHash()).isEqualTo(KeyMaterial.tokenHash(raw));
    assertThat(TestKeys.KEYRING.open(req.oldKeySealed())).isEqualTo(raw);
    assertThat(req.gatewayUrl()).isEqualTo(RotateCommand.DEFAULT_GATEWAY);
    assertThat(req.gracePeriod()).isEqualTo(Duration.ofHours(24));
    assertThat(req.destinations().get(0).describe())
        .isEqualTo("vault-kv2 secret/litellm/app-env#key");
    assertNoKey(raw, r.all(), startInput("rotation/app-env").getData().toStringUtf8());
  }

  @ParameterizedTest
  @ValueSource(strings = {"rotate", "status", "list", "plan"})
  void withoutThePayloadKeyEveryTemporalCommandIsAUsageErrorNamingTheVariables(String cmd) {
    String raw = rawKey();
    List<String> args =
        switch (cmd) {
          case "rotate" -> List.of("rotate", "--secret-id", "app-nosecret", "--key-env", "OLD_KEY");
          case "status" -> List.of("status", "rotation/app-nosecret");
          case "plan" -> List.of("plan", "-f", "keyturn.yaml");
          default -> List.of(cmd);
        };
    int before = connections.size();

    Run r = run(Map.of("OLD_KEY", raw, "KEYTURN_PAYLOAD_KEY", ""), args.toArray(String[]::new));

    assertThat(r.exit()).as(r.all()).isEqualTo(2);
    assertThat(r.err())
        .contains("needs the payload key it shares with the worker")
        .contains("KEYTURN_PAYLOAD_KEY ")
        .contains("KEYTURN_PAYLOAD_KEY_FILE");
    assertThat(connections).as("nothing was sent to Temporal").hasSize(before);
    assertNoKey(raw, r.all());
  }

  @Test
  void aCliWithAnotherPayloadKeyThanTheWorkerSaysSoNamingBothKeyIds() throws Exception {
    String raw = rawKey();
    assertThat(rotateFromOldKey(Map.of("OLD_KEY", raw), "app-other", "--grace", "1h").exit())
        .isZero();
    awaitPhase("rotation/app-other", RotationPhase.IN_GRACE);
    String other = PayloadKeys.generateBase64();

    Run r = run(Map.of("KEYTURN_PAYLOAD_KEY", other), "status", "rotation/app-other");

    assertThat(r.exit()).as(r.all()).isEqualTo(2);
    assertThat(r.err())
        .contains(TestKeys.PAYLOAD.currentId())
        .contains(PayloadKeys.parse(other).currentId())
        .contains("set KEYTURN_PAYLOAD_KEY (or KEYTURN_PAYLOAD_KEY_FILE)")
        .doesNotContain("AEADBadTag")
        .doesNotContain("Exception");
    assertNoKey(raw, r.all());
    assertThat(r.all()).doesNotContain(other).doesNotContain(SECRET);
  }

  @Test
  void rotateFromStdinReadsTheKeyFromTheStream() {
    String raw = rawKey();
    Run r =
        run(
            Map.of(),
            "  " + raw + "\n",
            Clock.systemUTC(),
            "rotate",
            "--secret-id",
            "app-stdin",
            "--key-stdin",
            "--generation",
            "1",
            "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(startedWith("rotation/app-stdin").oldKey().tokenHash())
        .isEqualTo(KeyMaterial.tokenHash(raw));
    assertNoKey(raw, r.all());
  }

  @Test
  void rotateFromATokenHashNeedsNoKeyValue() {
    String hash = KeyMaterial.tokenHash(rawKey());
    Run r =
        run(
            "rotate",
            "--secret-id",
            "app-hash",
            "--key-hash",
            hash.toUpperCase(),
            "--generation",
            "3",
            "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).contains("started from a token hash").contains("/key/info only");
    RotationRequest req = startedWith("rotation/app-hash");
    assertThat(req.oldKey().tokenHash()).isEqualTo(hash);
    assertThat(req.oldKeySealed()).isNull();
  }

  @Test
  void rotateJsonIsOneObjectDescribingTheStartedRotation() throws Exception {
    String hash = KeyMaterial.tokenHash(rawKey());
    Run r =
        run(
            "rotate",
            "--secret-id",
            "app-json",
            "--key-hash",
            hash,
            "--generation",
            "5",
            "--namespace",
            "keys",
            "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode o = JSON.readTree(r.out());
    assertThat(o.get("workflowId").asText()).isEqualTo("rotation/app-json");
    assertThat(o.get("runId").asText()).isNotBlank();
    assertThat(o.get("workflowStatus").asText()).isEqualTo("RUNNING");
    assertThat(o.at("/request/oldKeyHash").asText()).isEqualTo(hash);
    assertThat(o.at("/request/newKeyAlias").asText()).isEqualTo("keyturn-app-json-g5");
    assertThat(o.at("/request/destinations/0").asText())
        .isEqualTo("vault-kv2 secret/litellm/app-json#key");
    assertThat(o.at("/request/gracePeriod").asText()).isEqualTo("PT24H");
    assertThat(o.get("ui").asText())
        .isEqualTo(GlobalOptions.DEFAULT_UI_URL + "/namespaces/keys/workflows/rotation%2Fapp-json");
    assertThat(connections.get(connections.size() - 1).namespace()).isEqualTo("keys");
  }

  @Test
  void theDefaultGenerationIsTheUtcTimeSoEachRunIsANewRotation() {
    Clock fixed = Clock.fixed(Instant.parse("2025-01-02T03:04:05Z"), ZoneOffset.UTC);
    Run r =
        run(
            Map.of(),
            "",
            fixed,
            "rotate",
            "--secret-id",
            "app-clock",
            "--key-hash",
            KeyMaterial.tokenHash(rawKey()));

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("rotation/app-clock");
    assertThat(startedWith("rotation/app-clock").generation()).isEqualTo(20250102030405L);
  }

  @Test
  void aMissingKeySourceIsAUsageError() {
    Run r = run("rotate", "--secret-id", "app-nokey");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--key-env").contains("--key-file").contains("--key-hash");
    assertThat(r.err()).contains("keyturn rotate --help");
  }

  /** Reading the key from the destination is one of the key sources too. */
  @ParameterizedTest
  @ValueSource(strings = {"--key-env=OLD_KEY", "--key-from-destination"})
  void twoKeySourcesAreAUsageError(String otherSource) throws Exception {
    Run r =
        run(
            Map.of("OLD_KEY", rawKey()),
            "rotate",
            "--secret-id",
            "app-two",
            otherSource,
            "--key-file",
            keyFile(rawKey()).toString());

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("mutually exclusive");
  }

  @ParameterizedTest
  @ValueSource(strings = {"not-a-key-but-a-secret-value-123", "sk-short", "sk-has spaces inside"})
  void aMalformedKeyValueIsAUsageErrorThatDoesNotEchoIt(String bad) throws Exception {
    Path f = Files.createTempFile(dir, "bad", ".key");
    Files.writeString(f, bad, StandardCharsets.UTF_8);
    Run r = run("rotate", "--secret-id", "app-bad", "--key-file", f.toString());

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("does not look like a LiteLLM virtual key").contains(f.toString());
    assertThat(r.all()).doesNotContain(bad);
  }

  @Test
  void aKeyFileIsReadLikeEveryOtherSecretFile() throws Exception {
    Path missing = dir.resolve("missing.key");
    Run none = run("rotate", "--secret-id", "app-file", "--key-file", missing.toString());
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.err()).contains("--key-file " + missing + " does not exist");

    Path empty = Files.writeString(dir.resolve("empty.key"), "\n", StandardCharsets.UTF_8);
    Run blank = run("rotate", "--secret-id", "app-file", "--key-file", empty.toString());
    assertThat(blank.exit()).isEqualTo(2);
    assertThat(blank.err()).contains("--key-file " + empty + " is empty");

    Path big = Files.write(dir.resolve("big.key"), new byte[(int) SecretFiles.MAX_BYTES + 1]);
    Run large = run("rotate", "--secret-id", "app-file", "--key-file", big.toString());
    assertThat(large.exit()).isEqualTo(2);
    assertThat(large.err()).contains("--key-file " + big + " is ").contains("bytes");

    // A file others can read is still read, with a warning; its value is still checked.
    Path shared = Files.writeString(dir.resolve("shared.key"), "not-a-key", StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rw-r--r--"));
    Run warned = run("rotate", "--secret-id", "app-file", "--key-file", shared.toString());
    assertThat(warned.exit()).isEqualTo(2);
    assertThat(warned.err())
        .contains("can be read by other users")
        .contains("does not look like a LiteLLM virtual key");
  }

  @Test
  void aMissingKeyringFileIsAUsageError() {
    Path missing = dir.resolve("no-keyring.json");
    Run r = run("keyring", "public", "--file", missing.toString());

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--file " + missing + " does not exist");
  }

  @Test
  void aKeyValuePassedAsAHashIsRefusedWithoutEchoingIt() {
    String raw = rawKey();
    Run r = run("rotate", "--secret-id", "app-argv", "--key-hash", raw);

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("not its hash");
    assertNoKey(raw, r.all());
  }

  /**
   * A CLI pinned to a public key that is not in the worker's keyring (a stranger's, or a stale one)
   * would seal the old key so the worker cannot open it: refused before anything starts.
   */
  @Test
  void aCliPinnedToAPublicKeyNotTheWorkersIsRefusedBeforeAnythingStarts() {
    String raw = rawKey();
    WorkerKeyring stranger = WorkerKeyring.generate();
    Run r =
        rotateFromOldKey(
            Map.of("OLD_KEY", raw, "KEYTURN_WORKER_PUBLIC_KEY", stranger.currentPublicKey().text()),
            "app-stranger");

    assertRefusedBeforeStarting(r, raw, "app-stranger");
    assertThat(r.err())
        .contains(stranger.currentKeyId())
        .contains(TestKeys.KEYRING.currentKeyId())
        .contains("not in the worker's keyring")
        .contains("keyturn keyring public")
        .contains("Nothing was started");
  }

  /**
   * A CLI with another payload key would start a rotation the worker cannot decode: refused before
   * it starts, naming both payload key ids.
   */
  @Test
  void aCliWithAnotherPayloadKeyIsRefusedBeforeARotationStarts() {
    String raw = rawKey();
    String other = PayloadKeys.generateBase64();
    Run r =
        rotateFromOldKey(Map.of("OLD_KEY", raw, "KEYTURN_PAYLOAD_KEY", other), "app-otherpayload");

    assertRefusedBeforeStarting(r, raw, "app-otherpayload");
    assertThat(r.err())
        .contains(TestKeys.PAYLOAD.currentId())
        .contains(PayloadKeys.parse(other).currentId())
        .contains("KEYTURN_PAYLOAD_KEY")
        .contains("Nothing was started");
  }

  @Test
  void aBrokenPayloadKeyIsAUsageErrorAndNothingStarts() {
    String raw = rawKey();
    Run r =
        rotateFromOldKey(
            Map.of("OLD_KEY", raw, "KEYTURN_PAYLOAD_KEY", "dG9vIHNob3J0"), "app-badsecret");

    assertRefusedBeforeStarting(r, raw, "app-badsecret");
    assertThat(r.err()).contains("at least 32 bytes").contains("openssl rand -base64 32");
  }

  @Test
  void anUnsetKeyVariableIsAUsageError() {
    Run r = run("rotate", "--secret-id", "app-unset", "--key-env", "NOPE_NOT_SET");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("NOPE_NOT_SET is not set");
  }

  @ParameterizedTest
  @ValueSource(strings = {"3 days", "10x", "-5m", "100d", "P1Y", ""})
  void aBadGracePeriodIsAUsageError(String grace) {
    Run r =
        run(
            "rotate",
            "--secret-id",
            "app-grace",
            "--key-hash",
            KeyMaterial.tokenHash("x"),
            "--grace",
            grace);

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--grace");
  }

  @Test
  void aBadSecretIdIsAUsageErrorBeforeTheKeyIsRead() {
    Run r = run("rotate", "--secret-id", "bad/id", "--key-env", "NOPE_NOT_SET");

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("secret id 'bad/id' is not valid").doesNotContain("NOPE_NOT_SET");
  }

  @Test
  void aSecondRotationWithTheSameIdIsRefused() {
    String[] args = {
      "rotate",
      "--secret-id",
      "app-dup",
      "--key-hash",
      KeyMaterial.tokenHash("x"),
      "--generation",
      "1"
    };
    assertThat(run(args).exit()).isZero();

    // The same command again (say, after its answer was lost): the same rotation, followed.
    Run again = run(args);
    assertThat(again.exit()).isZero();
    assertThat(again.err()).contains("rotation/app-dup is already running this same rotation");

    // Another rotation of the same secret while that one runs: refused by Temporal, named.
    String[] other = {"rotate", "--secret-id", "app-dup", "--key-hash", KeyMaterial.tokenHash("y")};
    Run refused = run(other);
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err())
        .contains("a rotation of app-dup is already running: rotation/app-dup")
        .contains("nothing was started");
  }

  @Test
  void theSameRotateFromAKeyFileRunTwiceIsOneRotation() throws Exception {
    String raw = rawKey();
    Path key = keyFile(raw);
    String[] args = {
      "rotate", "--secret-id", "app-twice", "--key-file", key.toString(), "--grace", "3s", "--json"
    };
    Run first = run(args);
    assertThat(first.exit()).as(first.all()).isZero();
    Run second = run(args);
    assertThat(second.exit()).as(second.all()).isZero();
    assertThat(JSON.readTree(second.out()).path("runId").asText())
        .isEqualTo(JSON.readTree(first.out()).path("runId").asText());
  }

  @Test
  void rotateFromTheDestinationLetsTheWorkerReadTheKeyAndRunsAgainOnceDone() throws Exception {
    // After scripts/demo.sh, the key to replace is the one the demo published to Vault.
    String[] args = {
      "rotate",
      "--secret-id",
      "app-chain",
      "--key-from-destination",
      "--vault-name",
      "demo",
      "--grace",
      "0s"
    };
    Run first = run(args);
    assertThat(first.exit()).as(first.all()).isZero();
    assertThat(first.out())
        .contains("old key")
        .contains("the key vault-kv2 secret/litellm/demo#key holds (read by the worker)");
    RotationRequest req = startedWith("rotation/app-chain");
    assertThat(req.chainFromStore()).isTrue();
    assertThat(req.oldKey()).isNull();
    assertThat(req.oldKeySealed()).isNull();
    assertThat(req.destinations())
        .singleElement()
        .satisfies(
            d -> {
              assertThat(d.type()).isEqualTo("vault-kv2");
              assertThat(d.describe()).isEqualTo("vault-kv2 secret/litellm/demo#key");
            });
    String firstRun =
        client.newUntypedWorkflowStub("rotation/app-chain").describe().getExecution().getRunId();
    client.newUntypedWorkflowStub("rotation/app-chain").getResult(RotationResult.class);

    // Done: the destination now holds the new key, so the same command rotates that one.
    Run again = run(args);
    assertThat(again.exit()).as(again.all()).isZero();
    assertThat(again.err()).doesNotContain("already completed");
    assertThat(
            client
                .newUntypedWorkflowStub("rotation/app-chain")
                .describe()
                .getExecution()
                .getRunId())
        .isNotEqualTo(firstRun);
  }

  @Test
  void statusJsonShowsPhaseFingerprintsAndTemporalsStatus() throws Exception {
    String raw = rawKey();
    Run started = rotateFromOldKey(Map.of("OLD_KEY", raw), "app-status", "--grace", "7d");
    assertThat(started.exit()).as(started.err()).isZero();
    String id = "rotation/app-status";
    awaitPhase(id, RotationPhase.IN_GRACE);

    Run r = run("status", id, "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode o = JSON.readTree(r.out());
    assertThat(o.get("workflowId").asText()).isEqualTo(id);
    assertThat(o.get("runId").asText()).isNotBlank();
    assertThat(o.get("workflowStatus").asText()).isEqualTo("RUNNING");
    assertThat(o.get("startTime").asText()).isNotBlank();
    assertThat(o.get("closeTime").isNull()).isTrue();
    JsonNode s = o.get("status");
    assertThat(s.get("phase").asText()).isEqualTo("IN_GRACE");
    assertThat(s.get("secretId").asText()).isEqualTo("app-status");
    assertThat(s.get("generation").asLong()).isEqualTo(1);
    assertThat(s.get("oldKey").asText()).isEqualTo(KeyMaterial.ref(raw).fingerprint());
    assertThat(s.get("newKey").asText()).startsWith("sk-...fake #");
    assertThat(s.get("newKeyAlias").asText()).isEqualTo("keyturn-app-status-g1");
    assertThat(s.get("publishedTo").asText())
        .isEqualTo("vault-kv2 secret/litellm/app-status#key v2");
    assertThat(Instant.parse(s.get("graceEndsAt").asText()))
        .isAfter(Instant.now().plus(Duration.ofDays(6)));
    assertThat(s.get("revokeNowRequested").asBoolean()).isFalse();
    assertThat(o.get("ui").asText()).endsWith("/workflows/rotation%2Fapp-status");
    assertNoKey(raw, r.all());

    Run text = run("status", id);
    assertThat(text.exit()).isZero();
    assertThat(text.out()).contains("RUNNING").contains("IN_GRACE").contains("grace ends");
  }

  @Test
  void revokeNowDeliversTheSignalWithItsReason() throws Exception {
    Run started =
        run(
            "rotate",
            "--secret-id",
            "app-revoke",
            "--key-hash",
            KeyMaterial.tokenHash("y"),
            "--generation",
            "1",
            "--grace",
            "7d");
    assertThat(started.exit()).as(started.err()).isZero();
    String id = "rotation/app-revoke";
    awaitPhase(id, RotationPhase.IN_GRACE);

    Run r = run("revoke-now", id, "--reason", "leaked in a CI log");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains("Sent revokeNow to " + id);
    RotationResult result =
        client.newUntypedWorkflowStub(id).getResult(10, TimeUnit.SECONDS, RotationResult.class);
    assertThat(result.revokedEarly()).isTrue();
    assertThat(client.newWorkflowStub(KeyRotationWorkflow.class, id).status().message())
        .isEqualTo("done; revoked early: leaked in a CI log");

    Run again = run("revoke-now", id);
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("is not running (it is COMPLETED)");
  }

  @Test
  void waitOnACompletedRotationExitsZeroWithTheOutcome() {
    Run started =
        run(
            "rotate",
            "--secret-id",
            "app-done",
            "--key-hash",
            KeyMaterial.tokenHash("z"),
            "--generation",
            "1",
            "--grace",
            "0s");
    assertThat(started.exit()).as(started.err()).isZero();

    Run r = run("wait", "rotation/app-done");

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out())
        .contains("rotation/app-done  COMPLETED")
        .contains("sk-...fake #")
        .contains("secret/litellm/app-done#key v2 (replaced v1)")
        .contains("revoked after the grace period");
  }

  @Test
  void waitOnAFailedRotationExitsOneWithTheWorkflowsMessage() throws Exception {
    Run started =
        run(
            "rotate",
            "--secret-id",
            FakeKeyRotationWorkflow.FAILING + "verify",
            "--key-hash",
            KeyMaterial.tokenHash("f"),
            "--generation",
            "1");
    assertThat(started.exit()).as(started.err()).isZero();
    String id = "rotation/fails-verify";

    Run r = run("wait", id);

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .contains(id + "  FAILED (phase ROLLED_BACK)")
        .contains("model gpt-4o refused the new key")
        .contains("was NOT revoked and still works");

    Run json = run("wait", id, "--json");
    assertThat(json.exit()).isEqualTo(1);
    JsonNode o = JSON.readTree(json.out());
    assertThat(o.get("workflowStatus").asText()).isEqualTo("FAILED");
    assertThat(o.get("failure").asText()).contains("was NOT revoked");
    assertThat(o.has("result")).isFalse();
  }

  @Test
  void rotateWaitPrintsOneProgressLinePerPhaseAndOneJsonObjectAtTheEnd() throws Exception {
    Run text =
        run(
            "rotate",
            "--secret-id",
            "app-follow",
            "--key-hash",
            KeyMaterial.tokenHash("w"),
            "--generation",
            "1",
            "--grace",
            "1s",
            "--wait");

    assertThat(text.exit()).as(text.err()).isZero();
    assertThat(text.err()).doesNotContain("\r");
    assertThat(text.err().lines().filter(l -> l.startsWith("IN_GRACE")).count()).isEqualTo(1);
    assertThat(text.out()).contains("rotation/app-follow  COMPLETED");

    Run json =
        run(
            "rotate",
            "--secret-id",
            "app-follow",
            "--key-hash",
            KeyMaterial.tokenHash("w"),
            "--generation",
            "2",
            "--grace",
            "0s",
            "--wait",
            "--json");

    assertThat(json.exit()).as(json.err()).isZero();
    assertThat(json.err()).as("no progress with --json").doesNotContain("IN_GRACE");
    JsonNode o = JSON.readTree(json.out());
    assertThat(o.get("workflowStatus").asText()).isEqualTo("COMPLETED");
    assertThat(o.at("/status/phase").asText()).isEqualTo("COMPLETED");
    assertThat(o.at("/result/newKeyAlias").asText()).isEqualTo("keyturn-app-follow-g2");
    assertThat(o.at("/result/publishedVersion").asLong()).isEqualTo(2);
    assertThat(o.at("/request/secretId").asText()).isEqualTo("app-follow");
  }

  @Test
  void statusOfAClosedRotationStillAnswersFromReplay() throws Exception {
    run(
        "rotate",
        "--secret-id",
        "app-closed",
        "--key-hash",
        KeyMaterial.tokenHash("c"),
        "--generation",
        "1",
        "--grace",
        "0s");
    client
        .newUntypedWorkflowStub("rotation/app-closed")
        .getResult(10, TimeUnit.SECONDS, RotationResult.class);

    Run r = run("status", "rotation/app-closed", "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode o = JSON.readTree(r.out());
    assertThat(o.get("workflowStatus").asText()).isEqualTo("COMPLETED");
    assertThat(o.at("/status/phase").asText()).isEqualTo("COMPLETED");
    assertThat(o.at("/result/revokedEarly").asBoolean()).isFalse();
  }

  @Test
  void withoutAWorkerStatusShowsWhatTemporalKnowsAndWaitReportsATermination() {
    // Started on a task queue nobody polls, so no worker answers the status query.
    String id = "rotation/no-worker";
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            "KeyRotation",
            WorkflowOptions.newBuilder().setWorkflowId(id).setTaskQueue("nobody-polls").build());
    stub.start(
        RotationRequest.builder("no-worker")
            .generation(1)
            .gatewayUrl("http://127.0.0.1:4000")
            .oldKey(KeyMaterial.ref(rawKey()))
            .destinations(new Destination("vault-kv2", Map.of("name", "no-worker")))
            .gracePeriod(Duration.ofHours(1))
            .requestedBy("test")
            .build());

    Run r = run("status", id);

    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.out()).contains(id + "  RUNNING").contains("status       unknown:");
    assertThat(r.err())
        .contains("did not answer its status query")
        .contains("Showing what Temporal knows");

    stub.terminate("operator stopped it");
    Run w = run("wait", id);

    assertThat(w.exit()).isEqualTo(1);
    assertThat(w.out()).contains(id + "  TERMINATED").contains("terminated: operator stopped it");
  }

  @Test
  void anUnknownRotationIsReportedAsNotFound() {
    for (String cmd : new String[] {"status", "wait", "revoke-now"}) {
      Run r = run(cmd, "rotation/nobody");
      assertThat(r.exit()).as(cmd).isEqualTo(1);
      assertThat(r.err()).as(cmd).contains("no rotation with id 'rotation/nobody'");
    }
  }

  @Test
  void withJsonEveryFailureIsOneJsonObjectOnStdoutWithTheSameExitCode() throws Exception {
    for (String cmd : new String[] {"status", "wait", "revoke-now"}) {
      Run r = run(cmd, "rotation/nobody", "--json");
      assertThat(r.exit()).as(cmd).isEqualTo(1);
      JsonNode o = JSON.readTree(r.out());
      assertThat(o.path("ok").asBoolean(true)).as(cmd).isFalse();
      assertThat(o.path("exitCode").asInt()).as(cmd).isEqualTo(1);
      assertThat(o.path("error").asText())
          .as(cmd)
          .contains("no rotation with id 'rotation/nobody'");
      assertThat(r.out().strip()).as(cmd).startsWith("{").endsWith("}");
    }
    // The test server has no schedules: rotate-now fails, and says so in JSON.
    Run rotateNow = run("rotate-now", "nobody", "--json");
    assertThat(rotateNow.exit()).isEqualTo(1);
    assertThat(JSON.readTree(rotateNow.out()).path("error").asText()).isNotBlank();

    Run usage = run("status", "--json");
    assertThat(usage.exit()).isEqualTo(2);
    assertThat(JSON.readTree(usage.out()).path("exitCode").asInt()).isEqualTo(2);
  }

  @Test
  void anUnreachableTemporalIsNamedWithWhatToDo() {
    Run r =
        CliRunner.with(
                (connection, dataConverter) -> {
                  throw Status.UNAVAILABLE.withDescription("io exception").asRuntimeException();
                })
            .timing(TIMING)
            .run(
                Map.of(
                    "TEMPORAL_ADDRESS",
                    "127.0.0.1:7999",
                    "KEYTURN_PAYLOAD_KEY",
                    SECRET,
                    "KEYTURN_TEMPORAL_WAIT",
                    "0"),
                "status",
                "rotation/x");

    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains(
            "cannot reach Temporal at 127.0.0.1:7999: is the server running? (scripts/demo.sh"
                + " starts one)");
  }

  @Test
  void aBusyTemporalIsTriedAgainWithAProgressLineUntilItAnswers() {
    java.util.concurrent.atomic.AtomicInteger attempts =
        new java.util.concurrent.atomic.AtomicInteger();
    Run r =
        CliRunner.with(
                (connection, dataConverter) -> {
                  if (attempts.incrementAndGet() < 3) {
                    throw Status.DEADLINE_EXCEEDED.withDescription("busy").asRuntimeException();
                  }
                  throw Status.NOT_FOUND.withDescription("workflow not found").asRuntimeException();
                })
            .timing(TIMING)
            .run(
                Map.of("TEMPORAL_ADDRESS", "127.0.0.1:7999", "KEYTURN_PAYLOAD_KEY", SECRET),
                "status",
                "rotation/x");

    assertThat(attempts.get()).isEqualTo(3);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains("Temporal at 127.0.0.1:7999 is not answering (DEADLINE_EXCEEDED); trying again")
        .contains("no rotation with id 'rotation/x'");
  }

  @Test
  void addressAndNamespaceComeFromOptionsOverTheEnvironment() {
    Map<String, String> env = new HashMap<>();
    env.put("TEMPORAL_ADDRESS", "temporal.env:7233");
    env.put("TEMPORAL_NAMESPACE", "from-env");
    run(env, "status", "rotation/nobody");
    assertThat(connections.get(connections.size() - 1))
        .extracting(TemporalConnection::address, TemporalConnection::namespace)
        .containsExactly("temporal.env:7233", "from-env");

    run(env, "status", "rotation/nobody", "--address", "other:7000", "--namespace", "ns2");
    assertThat(connections.get(connections.size() - 1))
        .extracting(TemporalConnection::address, TemporalConnection::namespace)
        .containsExactly("other:7000", "ns2");

    Run bad = run(env, "status", "rotation/nobody", "--address", "no-port");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("must be host:port");
  }

  @ParameterizedTest
  @ValueSource(strings = {"rotate", "status", "wait", "revoke-now"})
  void everyCommandsHelpTeachesWithExamples(String cmd) {
    Run r = run(cmd, "--help");

    assertThat(r.exit()).isZero();
    assertThat(r.out()).contains("Usage: keyturn " + cmd).contains("Examples:").contains("--json");
  }

  @Test
  void noCommandIsAUsageError() {
    Run r = run();

    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("missing command");
  }

  @Test
  void rotateEmergencyTakesOverARunningRoutineRotationAndSaysSo() throws Exception {
    String hash = KeyMaterial.tokenHash(rawKey());
    Run routine = run("rotate", "--secret-id", "app-em", "--key-hash", hash, "--grace", "1h");
    assertThat(routine.exit()).as(routine.all()).isZero();
    awaitPhase("rotation/app-em", RotationPhase.IN_GRACE);

    Run r = run("rotate", "--emergency", "--secret-id", "app-em", "--key-hash", hash, "--json");

    assertThat(r.exit()).as(r.all()).isZero();
    JsonNode o = JSON.readTree(r.out());
    assertThat(o.path("emergency").asBoolean()).isTrue();
    assertThat(o.path("requestedBy").asText()).startsWith("keyturn-cli (");
    assertThat(o.path("tookOver").path("phase").asText()).isEqualTo("IN_GRACE");
    assertThat(o.path("tookOver").path("closedAs").asText()).isEqualTo("CANCELED");
    RotationRequest started = startedWith("rotation/app-em");
    assertThat(started.emergency()).isTrue();
    assertThat(started.gracePeriod()).isEqualTo(Duration.ZERO);
    assertThat(
            client
                .newUntypedWorkflowStub("rotation/app-em")
                .describe()
                .getMemo(io.keyturn.workflows.EmergencyRotation.MEMO, String.class, String.class))
        .startsWith("keyturn-cli (");
  }

  @Test
  void rotateEmergencyRefusesAGracePeriod() {
    Run r =
        run(
            "rotate",
            "--emergency",
            "--secret-id",
            "app-em-grace",
            "--key-hash",
            KeyMaterial.tokenHash("x"),
            "--grace",
            "1h");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err()).contains("--grace does not go with --emergency");
    assertThat(run("status", "rotation/app-em-grace").exit()).isEqualTo(1);
  }

  @Test
  void leakedRefusesASecretTheFileDoesNotDeclareAndStartsNothing() throws Exception {
    Path yaml = dir.resolve("keyturn.yaml");
    Files.writeString(
        yaml,
        """
        apiVersion: keyturn/v1
        secrets:
          - id: billing-api
            gateway: {url: http://127.0.0.1:4000, managementKey: {env: LITELLM_MASTER_KEY}}
            currentKey: {keyHash: %s}
            destinations:
              - {type: vault-kv2, name: billing-api}
            schedule: {every: 30d}
            grace: 1h
        """
            .formatted(KeyMaterial.tokenHash("x")));

    Run r = run("leaked", "billing", "-f", yaml.toString());

    assertThat(r.exit()).as(r.all()).isEqualTo(2);
    assertThat(r.err())
        .contains("secret 'billing' is not declared in " + yaml)
        .contains("it declares: billing-api")
        .contains("Nothing was blocked");
    assertThat(run("status", "rotation/billing").exit()).isEqualTo(1);
  }
}
