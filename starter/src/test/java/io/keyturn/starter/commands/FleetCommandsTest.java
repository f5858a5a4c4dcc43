package io.keyturn.starter.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.starter.CliRunner;
import io.keyturn.starter.CliRunner.Run;
import io.keyturn.starter.KeyturnCli;
import io.keyturn.starter.TemporalClients;
import io.keyturn.workflows.FleetRotationWorkflow;
import io.keyturn.workflows.FleetRotationWorkflowImpl;
import io.keyturn.workflows.RotationLauncherWorkflow;
import io.keyturn.workflows.RotationLauncherWorkflowImpl;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.FleetRequest;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.workflow.Workflow;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * rotate-fleet and fleet-status against the real Temporal dev server: members come from the
 * schedules {@code apply} created; one test runs a fleet to its end (stopped, then resumed) with an
 * in-process worker hosting the real fleet workflow over a stand-in rotation.
 */
class FleetCommandsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final DevTemporal temporal = DevTemporal.servingWorkerKeys();

  static final CliRunner CLI =
      CliRunner.with(TemporalClients.grpc())
          .timing(new KeyturnCli.Timing(Duration.ofMillis(200), Duration.ofSeconds(5)));

  @TempDir Path dir;
  final Map<String, String> env = new HashMap<>();

  /**
   * A stand-in rotation with a grace period: tells its launcher it published (so the fleet moves
   * on), then revokes after a short grace and completes.
   */
  public static class GracefulRotation extends StandInRotation {
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
  }

  @BeforeEach
  void clean() throws Exception {
    temporal.deleteSchedules();
    StandInRotation.FAILING.clear();
    env.putAll(temporal.cliEnv());
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
    DevTemporal.await(() -> temporal.scheduleIds().size() == 4, "the four schedules to be listed");
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
    return CLI.run(env, args);
  }

  static FleetRequest input(String workflowId) {
    var payloads =
        temporal
            .client()
            .fetchHistory(workflowId)
            .getEvents()
            .get(0)
            .getWorkflowExecutionStartedEventAttributes()
            .getInput();
    return temporal
        .client()
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
        RotateFleetCommand.request(temporal.schedules().getHandle("keyturn/billing-a").describe());
    assertThat(in.members().get(0)).isEqualTo(scheduled);
    assertThat(in.members().get(0).chainFromStore()).isTrue();
    assertThat(temporal.client().newUntypedWorkflowStub("fleet/t1").describe().getStatus())
        .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING);

    Run again = run("rotate-fleet", "--selector", "id-prefix=billing-", "--fleet-id", "t1");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("fleet/t1 is already running");
    temporal.client().newUntypedWorkflowStub("fleet/t1").terminate("test done");
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
    try (var worker =
        temporal.runWorkflows(
            FleetRotationWorkflowImpl.class,
            RotationLauncherWorkflowImpl.class,
            StandInRotation.class)) {
      StandInRotation.FAILING.add("fails-c");
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

      StandInRotation.FAILING.clear();
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
      assertThat(
              temporal
                  .client()
                  .newUntypedWorkflowStub("rotation/fails-c/fleet-t3")
                  .describe()
                  .getStatus())
          .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
    }
  }

  @Test
  void afterAFleetClosesFleetStatusAndListShowWhatItsRotationsDidSince() throws Exception {
    try (var worker =
        temporal.runWorkflows(
            FleetRotationWorkflowImpl.class,
            RotationLauncherWorkflowImpl.class,
            GracefulRotation.class)) {
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
        temporal
            .client()
            .newUntypedWorkflowStub(launcher)
            .getResult(30, TimeUnit.SECONDS, Object.class);
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
    }
  }
}
