package io.keyturn.starter.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.activities.store.SecretStoreActivitiesImpl;
import io.keyturn.activities.store.SecretStoreRegistry;
import io.keyturn.activities.vault.VaultAuth;
import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.starter.CliFailure;
import io.keyturn.starter.CliRunner;
import io.keyturn.starter.CliRunner.Run;
import io.keyturn.starter.TemporalClients;
import io.keyturn.starter.TestKeys;
import io.keyturn.starter.schedules.SchedulePlan;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.RotationCheckWorkflowImpl;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * rotate and apply check, before they start anything, that a rotation could succeed: the gateway
 * answers and has the key to replace (from here), and every destination passes the worker's check
 * (on the worker, with its access). Against the emulator and the real dev server with an in-process
 * worker serving the real check workflow and store activities.
 */
class RotationPreflightTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String MASTER = "sk-master-" + "p".repeat(20);

  @RegisterExtension static final DevTemporal temporal = DevTemporal.servingWorkerKeys();
  static LiteLlmEmulator proxy;

  static final CliRunner CLI = CliRunner.with(TemporalClients.grpc());

  @TempDir Path dir;
  final Map<String, String> env = new HashMap<>();

  @BeforeAll
  static void start() throws Exception {
    proxy = LiteLlmEmulator.builder().masterKey(MASTER).build().start();
    WorkerFactory factory = temporal.workers();
    Worker w = factory.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    w.registerWorkflowImplementationTypes(RotationCheckWorkflowImpl.class, StandInRotation.class);
    // The real store activities; Vault is an address where nothing answers.
    JsonHttp http = new JsonHttp(Duration.ofSeconds(2));
    w.registerActivitiesImplementations(
        new SecretStoreActivitiesImpl(
            SecretStoreRegistry.builtIn(
                new VaultKv2Client(
                    http, "http://127.0.0.1:" + freePort(), VaultAuth.token(() -> "t"))),
            TestKeys.KEYRING));
    factory.start();
  }

  @AfterAll
  static void stop() {
    if (proxy != null) {
      proxy.close();
    }
  }

  @BeforeEach
  void cliEnv() {
    env.putAll(temporal.cliEnv());
    env.put("LITELLM_URL", proxy.baseUrl());
  }

  static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  Run run(String... args) {
    return CLI.run(env, args);
  }

  String liveKey(String alias) {
    return proxy.createKey(Map.of("key_alias", alias));
  }

  /** A key shaped like LiteLLM's that this proxy never issued. */
  static String unknownKey() {
    return "sk-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "").substring(0, 22);
  }

  Path file(String name, String value) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, value + "\n");
    return p;
  }

  String fileDestination(String name) {
    return "file:path=" + dir.resolve(name);
  }

  /** {@code rotate} of {@code secretId} from {@code keyFile} to the file {@code <secretId>.env}. */
  Run rotateToFile(String secretId, Path keyFile, String... more) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "rotate",
            "--secret-id",
            secretId,
            "--key-file",
            keyFile.toString(),
            "--to",
            fileDestination(secretId + ".env")));
    args.addAll(List.of(more));
    return run(args.toArray(String[]::new));
  }

  static boolean started(String secretId) {
    try {
      temporal.client().newUntypedWorkflowStub(RotationRequest.workflowId(secretId)).describe();
      return true;
    } catch (WorkflowNotFoundException e) {
      return false;
    }
  }

  @Test
  void aKeyTheGatewayDoesNotHaveIsRefusedAndNothingStarts() throws Exception {
    env.put("LITELLM_MASTER_KEY", MASTER);
    String key = unknownKey();
    Run r = rotateToFile("pf-missing", file("k", key));
    assertThat(r.exit()).as(r.all()).isEqualTo(CliFailure.USAGE);
    assertThat(r.err())
        .contains("could not succeed")
        .contains(KeyMaterial.ref(key).fingerprint())
        .contains("does not exist at LiteLLM " + proxy.baseUrl())
        .contains("Nothing was started")
        .contains("--skip-checks");
    assertThat(r.all()).doesNotContain(key).doesNotContain(MASTER);
    assertThat(started("pf-missing")).isFalse();

    Run json = rotateToFile("pf-missing", file("k", key), "--json");
    assertThat(json.exit()).isEqualTo(CliFailure.USAGE);
    JsonNode o = JSON.readTree(json.out());
    assertThat(o.path("ok").asBoolean(true)).isFalse();
    assertThat(o.path("error").asText()).contains("does not exist at LiteLLM");
    assertThat(started("pf-missing")).isFalse();
  }

  @Test
  void aKeyTheLiteLlmOperatorManagesIsRefusedAndNothingStarts() throws Exception {
    env.put("LITELLM_MASTER_KEY", MASTER);
    String key =
        proxy.createKey(
            Map.of("key_alias", "team-a", "metadata", Map.of("managed_by", "litellm-operator")));
    Run r = rotateToFile("pf-operator", file("k", key));
    assertThat(r.exit()).as(r.all()).isEqualTo(CliFailure.USAGE);
    assertThat(r.err())
        .contains("managed by the LiteLLM Kubernetes operator")
        .contains("Nothing was started");
    assertThat(r.all()).doesNotContain(key);
    assertThat(started("pf-operator")).isFalse();
  }

  @Test
  void withoutAManagementKeyTheKeyItselfTellsWhetherTheGatewayHasIt() throws Exception {
    String key = unknownKey();
    Run r = rotateToFile("pf-self", file("k", key));
    assertThat(r.exit()).as(r.all()).isEqualTo(CliFailure.USAGE);
    assertThat(r.err()).contains("refuses the key to replace").contains("401");
    assertThat(started("pf-self")).isFalse();

    Run ok = rotateToFile("pf-self", file("k2", liveKey("pf-self")));
    assertThat(ok.exit()).as(ok.all()).isZero();
    assertThat(ok.err()).doesNotContain("not checked");
    assertThat(started("pf-self")).isTrue();
  }

  @Test
  void aHashWithoutAManagementKeyIsStartedWithANoteOfWhatWasNotChecked() throws Exception {
    Run r =
        run(
            "rotate",
            "--secret-id",
            "pf-hash",
            "--key-hash",
            KeyMaterial.tokenHash(liveKey("pf-hash")),
            "--to",
            fileDestination("pf-hash.env"));
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.err()).contains("was not checked").contains("LITELLM_MASTER_KEY");
    assertThat(started("pf-hash")).isTrue();
  }

  @Test
  void aGatewayThatDoesNotAnswerIsRefusedUnlessChecksAreSkipped() throws Exception {
    env.put("LITELLM_URL", "http://127.0.0.1:" + freePort());
    Path key = file("k", unknownKey());
    Run r = rotateToFile("pf-gone", key);
    assertThat(r.exit()).as(r.all()).isEqualTo(CliFailure.USAGE);
    assertThat(r.err()).contains("cannot be reached").contains("--gateway");
    assertThat(started("pf-gone")).isFalse();

    Run skipped = rotateToFile("pf-gone", key, "--skip-checks");
    assertThat(skipped.exit()).as(skipped.all()).isZero();
    assertThat(started("pf-gone")).isTrue();
  }

  @Test
  void aDestinationTheWorkerCannotUseIsRefusedBeforeAnythingStarts() throws Exception {
    env.put("LITELLM_MASTER_KEY", MASTER);
    Path missing = dir.resolve("no-such-dir").resolve("app.env");
    Run file =
        run(
            "rotate",
            "--secret-id",
            "pf-dest",
            "--key-file",
            file("k", liveKey("pf-dest")).toString(),
            "--to",
            "file:path=" + missing);
    assertThat(file.exit()).as(file.all()).isEqualTo(CliFailure.USAGE);
    assertThat(file.err()).contains(missing.getParent().toString()).contains("Nothing was started");
    assertThat(started("pf-dest")).isFalse();

    // The Vault shorthand is checked the same way: here no Vault answers the worker.
    Run vault =
        run(
            "rotate",
            "--secret-id",
            "pf-dest",
            "--key-file",
            file("k", liveKey("pf-dest-2")).toString(),
            "--vault-name",
            "elsewhere");
    assertThat(vault.exit()).as(vault.all()).isEqualTo(CliFailure.USAGE);
    assertThat(vault.err()).contains("secret/litellm/elsewhere").contains("Nothing was started");
    assertThat(started("pf-dest")).isFalse();
  }

  @Test
  void applyRefusesACurrentKeyTheGatewayDoesNotHaveAndCreatesNothing() throws Exception {
    env.put("LITELLM_MASTER_KEY", MASTER);
    String key = unknownKey();
    file("app.key", key);
    Path yaml =
        file(
            "keyturn.yaml",
            """
            apiVersion: keyturn/v1
            secrets:
              - id: pf-apply
                gateway: {url: %s}
                currentKey: {file: app.key}
                destinations:
                  - type: file
                    path: %s
                schedule:
                  every: 30d
            """
                .formatted(proxy.baseUrl(), dir.resolve("pf-apply.env")));
    Run r = run("apply", "-f", yaml.toString());
    assertThat(r.exit()).as(r.all()).isEqualTo(2);
    assertThat(r.all())
        .contains("secret pf-apply.currentKey")
        .contains("does not exist at LiteLLM")
        .contains("--skip-checks");
    assertThat(r.all()).doesNotContain(key);
    assertThat(SchedulePlan.describe(temporal.schedules().getHandle("keyturn/pf-apply"))).isEmpty();

    Run skipped = run("apply", "-f", yaml.toString(), "--skip-checks");
    assertThat(skipped.exit()).as(skipped.all()).isZero();
    assertThat(SchedulePlan.describe(temporal.schedules().getHandle("keyturn/pf-apply")))
        .isPresent();
    temporal.schedules().getHandle("keyturn/pf-apply").delete();

    // The key the destination holds is the one the first rotation replaces: a live one passes.
    Files.writeString(dir.resolve("pf-apply.env"), "LITELLM_API_KEY=" + liveKey("pf-a") + "\n");
    Run held = run("apply", "-f", yaml.toString());
    assertThat(held.exit()).as(held.all()).isZero();
    temporal.schedules().getHandle("keyturn/pf-apply").delete();
    List.of(held.out(), held.err()).forEach(t -> assertThat(t).doesNotContain(key));
  }
}
