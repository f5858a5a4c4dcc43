package io.keyturn.workflows;

import static io.keyturn.workflows.Fixtures.*;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.*;

import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Replays saved histories of the workflow shapes against today's code: a change that would break
 * running rotations (non-determinism) fails here. Until Keyturn's first release there is no history
 * to protect, so a change of shape re-records them all: run this test with {@code
 * -Dkeyturn.recordHistories=true} (in workflows/, e.g. {@code mvn -o -pl workflows test
 * -Dtest=KeyRotationReplayTest -Dkeyturn.recordHistories=true}) and commit the files under
 * src/test/resources/histories. After a release, keep the released files and record new ones beside
 * them.
 */
class KeyRotationReplayTest {

  private static final String[] HISTORIES = {
    "histories/rotation-completed.json",
    "histories/rotation-rolled-back.json",
    "histories/rotation-chained.json",
    "histories/rotation-destination-failed.json",
    "histories/rotation-fleet-member.json",
    "histories/rotation-emergency.json",
    "histories/rotation-taken-over-in-grace.json",
    "histories/rotation-revoke-held.json"
  };

  @Test
  void savedHistoriesReplayAgainstTheCurrentWorkflow() throws Exception {
    if (Boolean.getBoolean("keyturn.recordHistories")) {
      recordOne("histories/rotation-completed.json", false);
      recordOne("histories/rotation-rolled-back.json", true);
      recordChained("histories/rotation-chained.json", false);
      recordChained("histories/rotation-destination-failed.json", true);
      recordFleet();
      recordEmergency();
      recordTakenOverInGrace();
      recordRevokeHeld();
    }
    for (String h : HISTORIES) {
      WorkflowReplayer.replayWorkflowExecution(read(h), KeyRotationWorkflowImpl.class);
    }
    WorkflowReplayer.replayWorkflowExecution(
        read("histories/launcher.json"), RotationLauncherWorkflowImpl.class);
    // The fleet derives its children's ids from its own, so it replays under its real id.
    WorkflowReplayer.replayWorkflowExecution(
        io.temporal.common.WorkflowExecutionHistory.fromJson(
            read("histories/fleet.json"), FLEET_ID),
        FleetRotationWorkflowImpl.class);
  }

  private static final String FLEET_ID = "fleet/replay";

  private static final String BATCHED_FLEET_ID = "fleet/replay-batched";

  /**
   * A fleet whose second wave starts its two children together, and the same fleet recorded by the
   * code before that change, which started them one at a time: both replay against the current
   * fleet (the commands come in the same order). Recorded on its own: {@code
   * -Dtest=KeyRotationReplayTest#aFleetWithBatchedStartsReplays -Dkeyturn.recordHistories=true}.
   */
  @Test
  void aFleetWithBatchedStartsReplays() throws Exception {
    if (Boolean.getBoolean("keyturn.recordHistories")) {
      recordBatchedFleet();
    }
    WorkflowReplayer.replayWorkflowExecution(
        io.temporal.common.WorkflowExecutionHistory.fromJson(
            read("histories/fleet-batched.json"), BATCHED_FLEET_ID),
        FleetRotationWorkflowImpl.class);
    // The same fleet recorded by the code before batched starts (at 1b5837d): its second wave
    // started its two children one at a time, a workflow task each.
    WorkflowReplayer.replayWorkflowExecution(
        io.temporal.common.WorkflowExecutionHistory.fromJson(
            read("histories/fleet-one-by-one.json"), BATCHED_FLEET_ID),
        FleetRotationWorkflowImpl.class);
  }

  private void recordBatchedFleet() throws Exception {
    try (TestWorkflowEnvironment env = fleetEnvironment()) {
      java.util.List<RotationRequest> members =
          java.util.stream.Stream.of("svc-a", "svc-b", "svc-c")
              .map(s -> request(s, Duration.ofMinutes(5)).requestedBy("fleet test").build())
              .toList();
      env.getWorkflowClient()
          .newWorkflowStub(
              FleetRotationWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setWorkflowId(BATCHED_FLEET_ID)
                  .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                  .build())
          .rotateFleet(new io.keyturn.workflows.model.FleetRequest(members, 2, 1, 0.0, "test"));
      write(
          "histories/fleet-batched.json",
          env.getWorkflowClient().fetchHistory(BATCHED_FLEET_ID).toJson(true));
    }
  }

  /** A started test environment running the fleet, its launchers and rotations on mocks. */
  private TestWorkflowEnvironment fleetEnvironment() {
    TestWorkflowEnvironment env = withSearchAttributes(TestWorkflowEnvironment.newInstance());
    Worker worker = env.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    worker.registerWorkflowImplementationTypes(
        KeyRotationWorkflowImpl.class,
        RotationLauncherWorkflowImpl.class,
        FleetRotationWorkflowImpl.class);
    ActivityMocks mocks = ActivityMocks.succeeding();
    worker.registerActivitiesImplementations(mocks.gateway(), mocks.store());
    env.start();
    return env;
  }

  private String read(String resource) throws java.io.IOException {
    return new String(
        Objects.requireNonNull(getClass().getClassLoader().getResourceAsStream(resource), resource)
            .readAllBytes(),
        StandardCharsets.UTF_8);
  }

  /**
   * A fleet of two whose members signal it when they publish (histories of the fleet, of its first
   * member's launcher and of that member's rotation).
   */
  private void recordFleet() throws Exception {
    try (TestWorkflowEnvironment env = fleetEnvironment()) {
      java.util.List<RotationRequest> members =
          java.util.List.of(
              request("svc-a", Duration.ofMinutes(5)).requestedBy("fleet test").build(),
              request("svc-b", Duration.ofMinutes(5)).requestedBy("fleet test").build());
      FleetRotationWorkflow fleet =
          env.getWorkflowClient()
              .newWorkflowStub(
                  FleetRotationWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setWorkflowId(FLEET_ID)
                      .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                      .build());
      fleet.rotateFleet(new io.keyturn.workflows.model.FleetRequest(members, 1, 1, 0.0, "test"));
      String child = FleetRotationWorkflow.childWorkflowId("svc-a", FLEET_ID);
      env.getWorkflowClient()
          .newUntypedWorkflowStub(child)
          .getResult(io.keyturn.workflows.model.RotationResult.class);
      write("histories/fleet.json", env.getWorkflowClient().fetchHistory(FLEET_ID).toJson(true));
      write("histories/launcher.json", env.getWorkflowClient().fetchHistory(child).toJson(true));
      write(
          "histories/rotation-fleet-member.json",
          env.getWorkflowClient().fetchHistory(RotationRequest.workflowId("svc-a")).toJson(true));
    }
  }

  private static void write(String file, String json) throws java.io.IOException {
    Path out = Path.of("src/test/resources", file);
    Files.createDirectories(out.getParent());
    Files.writeString(out, json);
  }

  /**
   * Histories written before payload encryption hold plain payloads; a worker with the codec on
   * must still replay them (the codec passes unencrypted payloads through).
   */
  @Test
  void savedPlainHistoriesReplayOnAWorkerWithPayloadEncryption() throws Exception {
    PayloadKeys secret = PayloadKeys.parse(PayloadKeys.generateBase64());
    try (TestWorkflowEnvironment env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder()
                        .setDataConverter(KeyturnPayloadCodec.dataConverter(secret))
                        .build())
                .build())) {
      Worker worker = rotationWorker(env);
      for (String h : HISTORIES) {
        WorkflowReplayer.replayWorkflowExecutionFromResource(h, worker);
      }
    }
  }

  private static Worker rotationWorker(TestWorkflowEnvironment env) {
    Worker worker = env.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    worker.registerWorkflowImplementationTypes(KeyRotationWorkflowImpl.class);
    return worker;
  }

  private void recordOne(String file, boolean failVerify) throws Exception {
    try (TestWorkflowEnvironment env =
        withSearchAttributes(TestWorkflowEnvironment.newInstance())) {
      Worker worker = rotationWorker(env);
      ActivityMocks mocks = ActivityMocks.succeeding();
      LiteLlmActivities gateway = mocks.gateway();
      if (failVerify) {
        doThrow(
                io.temporal.failure.ApplicationFailure.newNonRetryableFailure(
                    "no models", RotationFailures.VERIFY_FAILED))
            .when(gateway)
            .verifyKey(any(), any(), eq(POLICY));
      }
      worker.registerActivitiesImplementations(gateway, mocks.store());
      env.start();
      KeyRotationWorkflow wf = rotation(env.getWorkflowClient());
      try {
        wf.rotate(request(Duration.ofHours(24)));
      } catch (RuntimeException expected) {
        // the rolled-back shape ends in a failure
      }
      String json = env.getWorkflowClient().fetchHistory("rotation/svc-a/7").toJson(true);
      write(file, json);
    }
  }

  /** A rotation whose old key is still in use when grace ends: held, rechecked, released. */
  private void recordRevokeHeld() throws Exception {
    try (TestWorkflowEnvironment env =
        withSearchAttributes(TestWorkflowEnvironment.newInstance())) {
      Worker worker = rotationWorker(env);
      ActivityMocks mocks = ActivityMocks.succeeding();
      when(mocks.gateway().keyUse(any(), any(), any()))
          .thenReturn(
              new io.keyturn.workflows.model.KeyUse(OLD, "2026-01-01T00:00:00Z", 30, true),
              new io.keyturn.workflows.model.KeyUse(OLD, "2026-01-01T00:00:00Z", 1800, false));
      worker.registerActivitiesImplementations(mocks.gateway(), mocks.store());
      env.start();
      rotation(env.getWorkflowClient()).rotate(request(Duration.ofHours(24)));
      write(
          "histories/rotation-revoke-held.json",
          env.getWorkflowClient().fetchHistory("rotation/svc-a/7").toJson(true));
    }
  }

  /** A scheduled rotation chained from the primary destination, published to two stores. */
  private void recordChained(String file, boolean secondFails) throws Exception {
    Destination vault = new Destination("vault-kv2", java.util.Map.of("name", "svc-a"));
    Destination envFile = new Destination("file", java.util.Map.of("path", "/srv/svc-a.env"));
    try (TestWorkflowEnvironment env =
        withSearchAttributes(TestWorkflowEnvironment.newInstance())) {
      Worker worker = rotationWorker(env);
      ActivityMocks mocks = ActivityMocks.succeeding();
      SecretStoreActivities store = mocks.store();
      when(store.readCurrentKey(vault))
          .thenReturn(new CurrentKey(OLD, new SealedSecret("k1", "e1", "n1", "c1"), "vault v3"));
      if (secondFails) {
        when(store.publishTo(eq(envFile), any()))
            .thenThrow(
                io.temporal.failure.ApplicationFailure.newNonRetryableFailure(
                    "denied", RotationFailures.STORE_DENIED));
      }
      when(store.restoreAt(any(), any())).thenReturn("restored.");
      worker.registerActivitiesImplementations(mocks.gateway(), store);
      env.start();
      KeyRotationWorkflow wf =
          env.getWorkflowClient()
              .newWorkflowStub(
                  KeyRotationWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setWorkflowId("rotation/svc-a/scheduled-2026-11-24T20:00:00Z")
                      .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                      .build());
      try {
        wf.rotate(
            RotationRequest.builder("svc-a")
                .gatewayUrl(GATEWAY)
                .gracePeriod(Duration.ofHours(24))
                .requestedBy("schedule keyturn/svc-a")
                .destinations(vault, envFile)
                .policy(POLICY)
                .chainFromStore(true)
                .build());
      } catch (RuntimeException expected) {
        // the failed shape ends in a failure
      }
      String json =
          env.getWorkflowClient()
              .fetchHistory("rotation/svc-a/scheduled-2026-11-24T20:00:00Z")
              .toJson(true);
      write(file, json);
    }
  }

  /** An emergency rotation: the leaked key blocked first, deleted right after publish. */
  private void recordEmergency() throws Exception {
    try (TestWorkflowEnvironment env =
        withSearchAttributes(TestWorkflowEnvironment.newInstance())) {
      Worker worker = rotationWorker(env);
      ActivityMocks mocks = ActivityMocks.succeeding();
      when(mocks.gateway().blockKey(any(), any())).thenReturn(true);
      worker.registerActivitiesImplementations(mocks.gateway(), mocks.store());
      env.start();
      rotation(env.getWorkflowClient())
          .rotate(
              request("svc-a", Duration.ZERO)
                  .generation(7)
                  .requestedBy("keyturn leaked (test)")
                  .emergency(true)
                  .build());
      write(
          "histories/rotation-emergency.json",
          env.getWorkflowClient().fetchHistory("rotation/svc-a/7").toJson(true));
    }
  }

  /** A routine rotation in its grace period cancelled by an emergency's takeover. */
  private void recordTakenOverInGrace() throws Exception {
    try (TestWorkflowEnvironment env =
        withSearchAttributes(TestWorkflowEnvironment.newInstance())) {
      Worker worker = rotationWorker(env);
      ActivityMocks mocks = ActivityMocks.succeeding();
      worker.registerActivitiesImplementations(mocks.gateway(), mocks.store());
      env.start();
      KeyRotationWorkflow wf = rotation(env.getWorkflowClient());
      io.temporal.client.WorkflowClient.start(wf::rotate, request(Duration.ofHours(24)));
      env.sleep(Duration.ofHours(1));
      io.temporal.client.WorkflowStub stub = io.temporal.client.WorkflowStub.fromTyped(wf);
      stub.cancel(EmergencyRotation.takeoverReason("keyturn leaked (test)"));
      try {
        stub.getResult(io.keyturn.workflows.model.RotationResult.class);
      } catch (RuntimeException expected) {
        // it closes as cancelled
      }
      write(
          "histories/rotation-taken-over-in-grace.json",
          env.getWorkflowClient().fetchHistory("rotation/svc-a/7").toJson(true));
    }
  }
}
