package io.keyturn.starter.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.starter.KeyturnCli;
import io.keyturn.starter.TemporalClients;
import io.keyturn.starter.TestKeys;
import io.keyturn.testkit.launch.TemporalDevServer;
import io.keyturn.workflows.FleetRotationWorkflow;
import io.keyturn.workflows.FleetRotationWorkflowImpl;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.RotationLauncherWorkflow;
import io.keyturn.workflows.RotationLauncherWorkflowImpl;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.model.FleetRequest;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleListDescription;
import io.temporal.failure.ApplicationFailure;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * rotate-fleet and fleet-status against the real Temporal dev server: members come from the
 * schedules {@code apply} created; one test runs a fleet to its end (stopped, then resumed) with an
 * in-process worker hosting the real fleet workflow over a stand-in rotation.
 */
class FleetCommandsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static TemporalDevServer temporal;
  static WorkflowServiceStubs stubs;
  static ScheduleClient schedules;
  static WorkflowClient client;

  /** The worker's and the CLI's Keyturn secret: payloads in history are encrypted with it. */
  static final String SECRET = PayloadKeys.generateBase64();

  @TempDir Path dir;
  final Map<String, String> env = new HashMap<>();

  record Run(int exit, String out, String err) {}

  /** Secrets whose stand-in rotation fails; the rest complete at once. */
  static final Set<String> FAILING = ConcurrentHashMap.newKeySet();

  public static class InstantRotation implements KeyRotationWorkflow {
    @Override
    public RotationResult rotate(RotationRequest r) {
      if (FAILING.contains(r.secretId())) {
        throw ApplicationFailure.newNonRetryableFailure(
            "Rotation of " + r.secretId() + " failed while verifying", "RotationRolledBack");
      }
      return new RotationResult(r.secretId(), 1, null, null, "a", null, false, List.of());
    }

    @Override
    public void revokeNow(String reason) {}

    @Override
    public RotationStatus status() {
      return null;
    }
  }

  /**
   * A stand-in rotation with a grace period: tells its launcher it published (so the fleet moves
   * on), then revokes after a short grace and completes.
   */
  public static class GracefulRotation implements KeyRotationWorkflow {
    static final Duration GRACE = Duration.ofSeconds(3);

    static KeyRef newKey(String secretId) {
      return new KeyRef(KeyMaterial.tokenHash("sk-new-" + secretId), "sk-...new" + secretId);
    }

    @Override
    public RotationResult rotate(RotationRequest r) {
      Workflow.newExternalWorkflowStub(
              RotationLauncherWorkflow.class, Workflow.getInfo().getParentWorkflowId().get())
          .rotationPublished(Workflow.getInfo().getWorkflowId());
      Workflow.sleep(GRACE);
      return new RotationResult(
          r.secretId(),
          1,
          null,
          newKey(r.secretId()),
          "keyturn-" + r.secretId() + "-g1",
          null,
          false,
          null);
    }

    @Override
    public void revokeNow(String reason) {}

    @Override
    public RotationStatus status() {
      return null;
    }
  }

  @BeforeAll
  static void startTemporal() throws Exception {
    temporal = TemporalDevServer.builder().build().start();
    stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.address()).build());
    client =
        WorkflowClient.newInstance(
            stubs,
            WorkflowClientOptions.newBuilder()
                .setNamespace("default")
                .setDataConverter(TestKeys.CONVERTER)
                .build());
    schedules = ScheduleCommand.schedules(client);
    // The worker's answer to the CLI's key question, as the real worker serves it.
    keysWorker = io.temporal.worker.WorkerFactory.newInstance(client);
    TestKeys.serveWorkerKeys(keysWorker);
    keysWorker.start();
  }

  static io.temporal.worker.WorkerFactory keysWorker;

  @AfterAll
  static void stopTemporal() {
    if (keysWorker != null) {
      keysWorker.shutdownNow();
    }
    if (stubs != null) {
      stubs.shutdownNow();
    }
    if (temporal != null) {
      temporal.close();
    }
  }

  @BeforeEach
  void clean() throws Exception {
    try (var s = schedules.listSchedules(null)) {
      for (String id : s.map(ScheduleListDescription::getScheduleId).collect(Collectors.toSet())) {
        schedules.getHandle(id).delete();
      }
    }
    FAILING.clear();
    env.put("TEMPORAL_ADDRESS", temporal.address());
    TestKeys.addCliKeys(env);
    env.put("USER", "alice");
    Files.writeString(
        dir.resolve("keyturn.yaml"),
        """
        apiVersion: keyturn/v1
        secrets:
        %s%s%s%s"""
            .formatted(
                secret("billing-a", "payments"),
                secret("billing-b", "payments"),
                secret("search", "search-team"),
                secret("fails-c", "payments")));
    Run applied = run("apply", "-f", dir.resolve("keyturn.yaml").toString(), "--skip-checks");
    assertThat(applied.exit()).as(applied.out() + applied.err()).isZero();
    // The selector reads the schedule list, which trails the creates by a moment on a busy server.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (scheduleIds().size() < 4 && System.nanoTime() < until) {
      Thread.sleep(100);
    }
    assertThat(scheduleIds()).hasSize(4);
  }

  static Set<String> scheduleIds() {
    try (var s = schedules.listSchedules(null)) {
      return s.map(ScheduleListDescription::getScheduleId).collect(Collectors.toSet());
    }
  }

  static String secret(String id, String team) {
    return """
          - id: %s
            gateway: {url: http://127.0.0.1:4000}
            currentKey: {keyHash: %s}
            policy:
              team_id: %s
            destinations:
              - type: vault-kv2
                name: %s
            schedule:
              every: 30d
        """
        .formatted(id, "ab".repeat(32), team, id);
  }

  Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    KeyturnCli cli =
        new KeyturnCli(
            TemporalClients.grpc(),
            env,
            new KeyturnCli.Io(
                new ByteArrayInputStream(new byte[0]),
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8),
                false),
            Clock.systemUTC(),
            new KeyturnCli.Timing(Duration.ofMillis(200), Duration.ofSeconds(5)));
    int exit = cli.execute(args);
    return new Run(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static FleetRequest input(String workflowId) {
    var payloads =
        client
            .fetchHistory(workflowId)
            .getEvents()
            .get(0)
            .getWorkflowExecutionStartedEventAttributes()
            .getInput();
    return client
        .getOptions()
        .getDataConverter()
        .fromPayloads(0, Optional.of(payloads), FleetRequest.class, FleetRequest.class);
  }

  @Test
  void startsAFleetOfTheSelectedSecretsWithTheirSchedulesRequests() throws Exception {
    Run r =
        run(
            "rotate-fleet",
            "--selector",
            "team=payments",
            "--fleet-id",
            "t1",
            "--concurrency",
            "2",
            "--canary",
            "1",
            "--max-failure-ratio",
            "0.5",
            "--json");

    assertThat(r.exit()).as(r.err()).isZero();
    JsonNode o = JSON.readTree(r.out());
    assertThat(o.path("workflowId").asText()).isEqualTo("fleet/t1");
    FleetRequest in = input("fleet/t1");
    assertThat(in.members())
        .extracting(RotationRequest::secretId)
        .containsExactly("billing-a", "billing-b", "fails-c");
    assertThat(in.concurrency()).isEqualTo(2);
    assertThat(in.canarySize()).isEqualTo(1);
    assertThat(in.failureThreshold()).isEqualTo(0.5);
    assertThat(in.requestedBy()).isEqualTo("alice");
    RotationRequest scheduled =
        RotateFleetCommand.request(schedules.getHandle("keyturn/billing-a").describe());
    assertThat(in.members().get(0)).isEqualTo(scheduled);
    assertThat(in.members().get(0).chainFromStore()).isTrue();
    assertThat(client.newUntypedWorkflowStub("fleet/t1").describe().getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);

    Run again = run("rotate-fleet", "--selector", "id-prefix=billing-", "--fleet-id", "t1");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("fleet/t1 is already running");
    client.newUntypedWorkflowStub("fleet/t1").terminate("test done");
  }

  @Test
  void fleetStatusOfAnUnknownIdTalksOfFleetIds() {
    Run r = run("fleet-status", "nope");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err())
        .contains("no fleet with id 'fleet/nope'")
        .contains("--fleet-id")
        .doesNotContain("check the id (rotation/<secret-id>");
  }

  @Test
  void refusesASelectorThatMatchesNothingOrIsMalformed() {
    Run none = run("rotate-fleet", "--selector", "tag=nope", "--fleet-id", "t2");
    assertThat(none.exit()).isEqualTo(1);
    assertThat(none.err()).contains("no managed secret to rotate matches 'tag=nope'");
    Run bad = run("rotate-fleet", "--selector", "colour=red");
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err()).contains("id-prefix=P");
  }

  @Test
  void aFleetStopsAtTheThresholdAndResumesWithTheSameId() throws Exception {
    WorkerFactory factory = WorkerFactory.newInstance(client);
    factory
        .newWorker(KeyRotationWorkflow.TASK_QUEUE)
        .registerWorkflowImplementationTypes(
            FleetRotationWorkflowImpl.class,
            RotationLauncherWorkflowImpl.class,
            InstantRotation.class);
    factory.start();
    try {
      FAILING.add("fails-c");
      // Canary [billing-a], then [billing-b, fails-c]: 1 of 2 failed > 0.4, stopped; search waits.
      Run stopped =
          run(
              "rotate-fleet",
              "--fleet-id",
              "t3",
              "--concurrency",
              "2",
              "--canary",
              "1",
              "--max-failure-ratio",
              "0.4",
              "--wait",
              "--json");
      assertThat(stopped.exit()).as(stopped.err()).isEqualTo(1);
      JsonNode s = JSON.readTree(stopped.out());
      assertThat(s.path("state").asText()).isEqualTo("STOPPED");
      assertThat(s.path("failed").asInt()).isEqualTo(1);
      assertThat(s.path("message").asText()).contains("fails-c");

      Run status = run("fleet-status", "t3");
      assertThat(status.exit()).isZero();
      assertThat(status.out()).contains("STOPPED").contains("fails-c").contains("--fleet-id t3");

      FAILING.clear();
      Run resumed =
          run("rotate-fleet", "--fleet-id", "t3", "--concurrency", "2", "--wait", "--json");
      assertThat(resumed.exit()).as(resumed.err()).isZero();
      JsonNode p = JSON.readTree(resumed.out());
      assertThat(p.path("state").asText()).isEqualTo("COMPLETED");
      Map<String, String> states = new HashMap<>();
      p.path("members")
          .forEach(m -> states.put(m.path("secretId").asText(), m.path("state").asText()));
      assertThat(states)
          .containsEntry("billing-a", "SKIPPED")
          .containsEntry("billing-b", "SKIPPED")
          .containsEntry("fails-c", "SUCCEEDED")
          .containsEntry("search", "SUCCEEDED");
      assertThat(client.newUntypedWorkflowStub("rotation/fails-c/fleet-t3").describe().getStatus())
          .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
    } finally {
      factory.shutdownNow();
    }
  }

  @Test
  void afterAFleetClosesFleetStatusAndListShowWhatItsRotationsDidSince() throws Exception {
    WorkerFactory factory = WorkerFactory.newInstance(client);
    factory
        .newWorker(KeyRotationWorkflow.TASK_QUEUE)
        .registerWorkflowImplementationTypes(
            FleetRotationWorkflowImpl.class,
            RotationLauncherWorkflowImpl.class,
            GracefulRotation.class);
    factory.start();
    try {
      Run done =
          run(
              "rotate-fleet",
              "--selector",
              "team=payments",
              "--fleet-id",
              "t4",
              "--concurrency",
              "3",
              "--wait",
              "--json");
      assertThat(done.exit()).as(done.err()).isZero();
      JsonNode p = JSON.readTree(done.out());
      assertThat(p.path("state").asText()).isEqualTo("COMPLETED");
      // Each member has published; on a loaded machine one may have finished its 3 s grace too.
      assertThat(p.path("inGrace").asInt() + p.path("succeeded").asInt())
          .as("published (in grace or done): %s", p)
          .isEqualTo(3);

      // The fleet has closed; its rotations finish their grace and complete on their own.
      for (String id : Set.of("billing-a", "billing-b", "fails-c")) {
        String launcher = FleetRotationWorkflow.childWorkflowId(id, "fleet/t4");
        client.newUntypedWorkflowStub(launcher).getResult(30, TimeUnit.SECONDS, Object.class);
      }

      Run status = run("fleet-status", "t4", "--json");
      assertThat(status.exit()).as(status.err()).isZero();
      JsonNode s = JSON.readTree(status.out());
      assertThat(s.path("state").asText()).isEqualTo("COMPLETED");
      assertThat(s.path("succeeded").asInt()).isEqualTo(3);
      assertThat(s.path("inGrace").asInt()).isZero();
      assertThat(s.path("message").asText()).startsWith("completed: 3 rotated, 0 published");
      s.path("members").forEach(m -> assertThat(m.path("state").asText()).isEqualTo("SUCCEEDED"));
      assertThat(run("fleet-status", "t4").out()).containsPattern("billing-a +SUCCEEDED");

      // list names the key each fleet rotation published, though no schedule ran.
      Run list = run("list", "--json");
      assertThat(list.exit()).as(list.err()).isZero();
      Map<String, JsonNode> rows = new HashMap<>();
      JSON.readTree(list.out())
          .path("secrets")
          .forEach(r -> rows.put(r.path("secretId").asText(), r));
      for (String id : Set.of("billing-a", "billing-b", "fails-c")) {
        assertThat(rows.get(id).path("currentKey").asText())
            .as(id)
            .startsWith(GracefulRotation.newKey(id).fingerprint());
        assertThat(rows.get(id).path("lastWorkflowId").asText()).isEqualTo("rotation/" + id);
        assertThat(rows.get(id).path("lastOutcome").asText()).isEqualTo("COMPLETED");
      }
      assertThat(rows.get("search").path("currentKey").isNull()).isTrue();
    } finally {
      factory.shutdownNow();
    }
  }
}
