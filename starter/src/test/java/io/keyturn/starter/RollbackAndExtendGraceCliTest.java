package io.keyturn.starter;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.starter.CliRunner.Run;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.KeyRotationWorkflowImpl;
import io.keyturn.workflows.KeyturnSearchAttributes;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.SealedSecret;
import io.keyturn.workflows.testing.LiteLlmStandIn;
import io.keyturn.workflows.testing.Rotations;
import io.keyturn.workflows.testing.SecretStoreStandIn;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.SearchAttributeKey;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code keyturn rollback} and {@code keyturn extend-grace}, in-process, against the real rotation
 * workflow on an in-memory Temporal with canned activities: what the operator sees when the
 * rotation accepts, when its validator refuses (exit 1, its own words, nothing changed) and when
 * the input is bad (exit 2, nothing sent).
 */
class RollbackAndExtendGraceCliTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final KeyRef OLD = KeyMaterial.ref("sk-cli-test-old-key-aaaaaaaa");
  static final KeyRef NEW = KeyMaterial.ref("sk-cli-test-new-key-bbbbbbbb");

  static TestWorkflowEnvironment temporal;
  static WorkflowClient client;

  static final CliRunner CLI =
      CliRunner.with(
              (connection, dataConverter) ->
                  new TemporalClients.Session(
                      WorkflowClient.newInstance(
                          temporal.getWorkflowServiceStubs(),
                          WorkflowClientOptions.newBuilder()
                              .setNamespace(client.getOptions().getNamespace())
                              .setDataConverter(dataConverter)
                              .build()),
                      () -> {}))
          .timing(new KeyturnCli.Timing(Duration.ofMillis(50), Duration.ofMillis(500)));

  /** Activities that always work: the rotation reaches its grace period at once. */
  static final class Gateway extends LiteLlmStandIn {
    @Override
    public MintedKey mintKey(MintRequest r) {
      return new MintedKey(NEW, r.alias(), r.derivation(), null, false);
    }
  }

  @BeforeAll
  static void startTemporal() {
    temporal =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setUseTimeskipping(false)
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder().setDataConverter(TestKeys.CONVERTER).build())
                .build());
    for (SearchAttributeKey<?> k :
        List.of(
            KeyturnSearchAttributes.SECRET_ID,
            KeyturnSearchAttributes.PHASE,
            KeyturnSearchAttributes.GATEWAY,
            KeyturnSearchAttributes.GENERATION)) {
      temporal.registerSearchAttribute(k.getName(), k.getValueType());
    }
    Worker worker = temporal.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    worker.registerWorkflowImplementationTypes(KeyRotationWorkflowImpl.class);
    worker.registerActivitiesImplementations(new Gateway(), new SecretStoreStandIn());
    temporal.start();
    client = temporal.getWorkflowClient();
  }

  @AfterAll
  static void stopTemporal() {
    temporal.close();
  }

  static Run run(String... args) {
    Map<String, String> env = new HashMap<>();
    TestKeys.addCliKeys(env);
    return CLI.run(env, args);
  }

  /** Starts a rotation of {@code secret} with a 1 h grace period and waits for IN_GRACE. */
  static KeyRotationWorkflow inGrace(String secret, boolean sealed) throws Exception {
    RotationRequest req =
        RotationRequest.builder(secret)
            .generation(1)
            .gatewayUrl("http://127.0.0.1:4000")
            .oldKey(OLD, sealed ? new SealedSecret("k1", "e1", "n1", "c1") : null)
            .destinations(new Destination("vault-kv2", Map.of("name", secret)))
            .gracePeriod(Duration.ofHours(1))
            .requestedBy("test")
            .build();
    KeyRotationWorkflow wf = Rotations.start(client, req);
    if (Rotations.reaches(wf, RotationPhase.IN_GRACE)) {
      return wf;
    }
    throw new AssertionError(secret + " did not reach IN_GRACE");
  }

  @Test
  void extendGraceMovesTheEndAndRefusalsChangeNothing() throws Exception {
    KeyRotationWorkflow wf = inGrace("cli-extend", true);
    Instant planned = Instant.parse(wf.status().graceEndsAt());

    Run longer = run("extend-grace", "cli-extend", "48h");
    assertThat(longer.exit()).as(longer.all()).isZero();
    assertThat(longer.out())
        .contains("rotation/cli-extend  grace period extended by 2d: now ends at ")
        .contains(planned.plus(Duration.ofHours(48)).toString());
    Instant moved = Instant.parse(wf.status().graceEndsAt());
    assertThat(moved).isEqualTo(planned.plus(Duration.ofHours(48)));

    Run pastBound = run("extend-grace", "rotation/cli-extend", "89d");
    assertThat(pastBound.exit()).as(pastBound.all()).isEqualTo(1);
    assertThat(pastBound.err())
        .contains("cannot change the grace period of rotation/cli-extend")
        .contains("past the bound: at most 90 days after the new key was published");
    for (String[] bad :
        new String[][] {
          {"extend-grace", "cli-extend", "-2h"},
          {"extend-grace", "cli-extend", "0s"},
          {"extend-grace", "cli-extend", "--ends-in", "-1h"},
          {"extend-grace", "cli-extend", "91d"},
          {"extend-grace", "cli-extend", "soon"},
          {"extend-grace", "cli-extend"},
          {"extend-grace", "cli-extend", "1h", "--ends-in", "2h"}
        }) {
      Run r = run(bad);
      assertThat(r.exit()).as(String.join(" ", bad) + "\n" + r.all()).isEqualTo(2);
    }
    assertThat(run("extend-grace", "cli-extend", "-2h").err())
        .contains("'-2h' is negative")
        .contains("--ends-in");
    assertThat(Instant.parse(wf.status().graceEndsAt())).isEqualTo(moved);

    Run shorter = run("extend-grace", "cli-extend", "--ends-in", "10m", "--json");
    assertThat(shorter.exit()).as(shorter.all()).isZero();
    JsonNode o = JSON.readTree(shorter.out());
    assertThat(o.path("update").asText()).isEqualTo("changeGrace");
    assertThat(o.path("change").asText()).isEqualTo("set to end in 10m");
    assertThat(Instant.parse(o.path("graceEndsAt").asText()))
        .isBefore(Instant.now().plus(Duration.ofMinutes(11)));
  }

  @Test
  void rollbackEndsTheRotationAsRolledBackAndIsThenRefused() throws Exception {
    inGrace("cli-undo", true);
    Run noReason = run("rollback", "cli-undo");
    assertThat(noReason.exit()).isEqualTo(2);
    assertThat(noReason.err()).contains("--reason");

    Run r = run("rollback", "cli-undo", "--reason", "client X breaks", "--json");
    assertThat(r.exit()).as(r.all()).isZero();
    JsonNode o = JSON.readTree(r.out());
    assertThat(o.path("phase").asText()).isEqualTo("ROLLED_BACK");
    assertThat(o.path("reason").asText()).isEqualTo("client X breaks");
    assertThat(o.path("message").asText())
        .contains("rolled back at the request of")
        .contains("holds the old key " + OLD.fingerprint());

    Run again = run("rollback", "cli-undo", "--reason", "twice");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err())
        .contains("cannot roll back rotation/cli-undo: it is not running (it is FAILED)")
        .contains("Nothing was changed");
    Run extend = run("extend-grace", "cli-undo", "1h");
    assertThat(extend.exit()).isEqualTo(1);
    assertThat(extend.err()).contains("grace period is over");
  }

  @Test
  void rollbackOfARotationStartedFromAHashIsRefusedWithNothingChanged() throws Exception {
    KeyRotationWorkflow wf = inGrace("cli-hash", false);
    Run r = run("rollback", "cli-hash", "--reason", "bad key");
    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    assertThat(r.err())
        .contains("cannot roll back rotation/cli-hash")
        .contains("token hash only (--key-hash)")
        .contains("Nothing was changed");
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.IN_GRACE);
  }

  @Test
  void anUnknownRotationIsNotFound() {
    Run r = run("rollback", "nobody-here", "--reason", "x");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("no rotation with id 'rotation/nobody-here'");
  }

  @Test
  void withoutAWorkerTheCommandStopsSayingSoInsteadOfWaitingForEver() {
    RotationRequest req =
        RotationRequest.builder("cli-no-worker")
            .generation(1)
            .gatewayUrl("http://127.0.0.1:4000")
            .oldKey(OLD)
            .destinations(new Destination("vault-kv2", Map.of("name", "cli-no-worker")))
            .gracePeriod(Duration.ofHours(1))
            .build();
    KeyRotationWorkflow wf =
        client.newWorkflowStub(
            KeyRotationWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(req.workflowId())
                .setTaskQueue("no-worker-polls-this")
                .build());
    WorkflowClient.start(wf::rotate, req);

    Run r = run("extend-grace", "cli-no-worker", "1h");

    assertThat(r.exit()).as(r.all()).isEqualTo(1);
    assertThat(r.err())
        .contains("no keyturn worker answered within 3 s")
        .contains("keyturn status");
  }
}
