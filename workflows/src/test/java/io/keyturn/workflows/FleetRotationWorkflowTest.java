package io.keyturn.workflows;

import static io.keyturn.workflows.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.workflows.model.FleetProgress;
import io.keyturn.workflows.model.FleetProgress.MemberState;
import io.keyturn.workflows.model.FleetProgress.State;
import io.keyturn.workflows.model.FleetRequest;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The fleet over a stand-in rotation (registered as "KeyRotation") that takes an hour, so waves,
 * concurrency and stops show in (skipped) time.
 */
class FleetRotationWorkflowTest {
  static final String TASK_QUEUE = "fleet-test";
  static final Duration ROTATION_TAKES = Duration.ofHours(1);

  /** One stand-in rotation: which child, and when it started and ended (workflow time). */
  record Ran(String workflowId, String secretId, long start, long end) {}

  static final List<Ran> RAN = Collections.synchronizedList(new ArrayList<>());
  static final Set<String> FAILING = ConcurrentHashMap.newKeySet();

  /** The stand-in: one hour of "rotation", then success, or failure for a secret in FAILING. */
  public static class StubRotation implements KeyRotationWorkflow {
    @Override
    public RotationResult rotate(RotationRequest request) {
      long start = Workflow.currentTimeMillis();
      Workflow.sleep(ROTATION_TAKES);
      if (!Workflow.isReplaying()) {
        RAN.add(
            new Ran(
                Workflow.getInfo().getWorkflowId(),
                request.secretId(),
                start,
                Workflow.currentTimeMillis()));
      }
      if (FAILING.contains(request.secretId())) {
        throw ApplicationFailure.newNonRetryableFailure(
            "Rotation of " + request.secretId() + " failed while verifying: model refused",
            KeyRotationWorkflowImpl.ROLLED_BACK);
      }
      return new RotationResult(request.secretId(), 1, OLD, NEW, "a", receipt(), revoked(), false);
    }

    @Override
    public void revokeNow(String reason) {}

    @Override
    public RotationStatus status() {
      return new RotationStatus(
          null, 0, RotationPhase.STARTING, null, null, null, null, null, false, "stub");
    }
  }

  TestWorkflowEnvironment env;

  @BeforeEach
  void clear() {
    RAN.clear();
    FAILING.clear();
  }

  @AfterEach
  void close() {
    if (env != null) {
      env.close();
    }
  }

  void startEnv(Supplier<FleetRotationWorkflowImpl> fleet) {
    env = TestWorkflowEnvironment.newInstance();
    Worker w = env.newWorker(TASK_QUEUE);
    w.registerWorkflowImplementationTypes(StubRotation.class);
    w.registerWorkflowImplementationFactory(FleetRotationWorkflow.class, fleet::get);
    env.start();
  }

  FleetRotationWorkflow fleet(String fleetId) {
    return env.getWorkflowClient()
        .newWorkflowStub(
            FleetRotationWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(FleetRotationWorkflow.workflowId(fleetId))
                .setTaskQueue(TASK_QUEUE)
                .build());
  }

  static List<RotationRequest> members(int n) {
    return IntStream.range(0, n)
        .mapToObj(
            i ->
                new RotationRequest(
                    "s" + i,
                    0,
                    GATEWAY,
                    new KeyRef(OLD.tokenHash(), null),
                    null,
                    VAULT,
                    Duration.ofMinutes(5),
                    "schedule keyturn/s" + i))
        .toList();
  }

  static int maxOverlap(List<Ran> ran) {
    int max = 0;
    for (Ran r : ran) {
      int at =
          (int) ran.stream().filter(o -> o.start() <= r.start() && o.end() > r.start()).count();
      max = Math.max(max, at);
    }
    return max;
  }

  static Ran ran(String secretId) {
    return RAN.stream().filter(r -> r.secretId().equals(secretId)).findFirst().orElseThrow();
  }

  @Test
  void rotatesTheCanaryFirstThenWavesOfAtMostConcurrency() {
    startEnv(FleetRotationWorkflowImpl::new);
    FleetProgress p = fleet("f1").rotateFleet(new FleetRequest(members(7), 3, 1, 0.0, "alice"));

    assertThat(p.state()).isEqualTo(State.COMPLETED);
    assertThat(p.succeeded()).isEqualTo(7);
    assertThat(p.wave()).isEqualTo(3); // [s0] [s1 s2 s3] [s4 s5 s6]
    assertThat(RAN).hasSize(7);
    assertThat(maxOverlap(RAN)).isEqualTo(3);
    for (int i = 1; i < 7; i++) {
      assertThat(ran("s" + i).start()).isGreaterThanOrEqualTo(ran("s0").end());
    }
    assertThat(ran("s4").start()).isGreaterThanOrEqualTo(ran("s3").end());
    assertThat(p.members().get(2).workflowId()).isEqualTo("rotation/s2/fleet-f1");
  }

  @Test
  void stopsWhenAWavesFailuresCrossTheThresholdAndNamesThem() {
    startEnv(FleetRotationWorkflowImpl::new);
    FAILING.addAll(List.of("s1", "s2"));
    FleetProgress p = fleet("f2").rotateFleet(new FleetRequest(members(6), 2, 1, 0.4, "alice"));

    assertThat(p.state()).isEqualTo(State.STOPPED);
    assertThat(p.wave()).isEqualTo(2);
    assertThat(p.secretIds(MemberState.FAILED)).containsExactly("s1", "s2");
    assertThat(p.secretIds(MemberState.PENDING)).containsExactly("s3", "s4", "s5");
    assertThat(p.members().get(1).detail()).contains("s1 failed while verifying");
    assertThat(p.message()).contains("s1, s2").contains("wave 2");
    assertThat(RAN).extracting(Ran::secretId).containsExactlyInAnyOrder("s0", "s1", "s2");
  }

  @Test
  void keepsGoingWhileFailuresStayAtOrBelowTheThreshold() {
    startEnv(FleetRotationWorkflowImpl::new);
    FAILING.add("s1");
    FleetProgress p = fleet("f3").rotateFleet(new FleetRequest(members(5), 2, 1, 0.5, "alice"));

    assertThat(p.state()).isEqualTo(State.COMPLETED);
    assertThat(p.failed()).isEqualTo(1);
    assertThat(p.succeeded()).isEqualTo(4);
    assertThat(p.message()).contains("1 failed (s1)");
  }

  @Test
  void aCanaryFailureStopsTheFleetBeforeAnythingElseRotates() {
    startEnv(FleetRotationWorkflowImpl::new);
    FAILING.add("s0");
    FleetProgress p = fleet("f4").rotateFleet(new FleetRequest(members(4), 2, 1, 0.5, "alice"));

    assertThat(p.state()).isEqualTo(State.STOPPED);
    assertThat(p.wave()).isEqualTo(1);
    assertThat(RAN).extracting(Ran::secretId).containsExactly("s0");
  }

  @Test
  void startingTheSameFleetAgainSkipsCompletedMembersAndRetriesFailedOnes() {
    startEnv(FleetRotationWorkflowImpl::new);
    FAILING.addAll(List.of("s1", "s2"));
    FleetRequest req = new FleetRequest(members(5), 2, 1, 0.4, "alice");
    assertThat(fleet("f5").rotateFleet(req).state()).isEqualTo(State.STOPPED);

    FAILING.clear();
    RAN.clear();
    FleetProgress p = fleet("f5").rotateFleet(req);

    assertThat(p.state()).isEqualTo(State.COMPLETED);
    assertThat(p.secretIds(MemberState.SKIPPED)).containsExactly("s0");
    assertThat(p.secretIds(MemberState.SUCCEEDED)).containsExactly("s1", "s2", "s3", "s4");
    assertThat(RAN).extracting(Ran::secretId).containsExactlyInAnyOrder("s1", "s2", "s3", "s4");
    // The resumed run has its own canary: the first member not yet rotated (not the skipped s0).
    assertThat(p.wave()).isEqualTo(3); // [s0 skipped, s1] [s2 s3] [s4]
    assertThat(ran("s2").start()).isGreaterThanOrEqualTo(ran("s1").end());
    assertThat(ran("s3").start()).isLessThan(ran("s2").end()); // together
  }

  @Test
  void answersTheProgressQueryWhileRunning() {
    startEnv(FleetRotationWorkflowImpl::new);
    FleetRotationWorkflow f = fleet("f6");
    WorkflowClient.start(f::rotateFleet, new FleetRequest(members(4), 3, 1, 0.0, "alice"));
    env.sleep(Duration.ofMinutes(90)); // canary done, wave 2 running

    FleetProgress p = f.progress();
    assertThat(p.state()).isEqualTo(State.RUNNING);
    assertThat(p.wave()).isEqualTo(2);
    assertThat(p.total()).isEqualTo(4);
    assertThat(p.done()).isEqualTo(1);
    assertThat(p.running()).isEqualTo(3);
    assertThat(p.members().get(0).state()).isEqualTo(MemberState.SUCCEEDED);
    assertThat(p.members().get(3).state()).isEqualTo(MemberState.RUNNING);

    WorkflowStub.fromTyped(f).getResult(FleetProgress.class);
    assertThat(f.progress().state()).isEqualTo(State.COMPLETED);
  }

  @Test
  void aTerminatedFleetLeavesItsRunningRotationsAlone() {
    startEnv(FleetRotationWorkflowImpl::new);
    FleetRotationWorkflow f = fleet("f7");
    WorkflowClient.start(f::rotateFleet, new FleetRequest(members(3), 2, 1, 0.0, "alice"));
    env.sleep(Duration.ofMinutes(30));
    WorkflowStub.fromTyped(f).terminate("operator");

    RotationResult r =
        env.getWorkflowClient()
            .newUntypedWorkflowStub("rotation/s0/fleet-f7")
            .getResult(RotationResult.class);
    assertThat(r.secretId()).isEqualTo("s0");
  }

  @Test
  void aLargeFleetContinuesAsNewAndKeepsItsProgress() {
    startEnv(() -> new FleetRotationWorkflowImpl(3, 1));
    FleetRotationWorkflow f = fleet("f8");
    WorkflowClient.start(f::rotateFleet, new FleetRequest(members(5), 2, 1, 0.0, "alice"));
    String firstRun = WorkflowStub.fromTyped(f).getExecution().getRunId();
    FleetProgress p =
        env.getWorkflowClient().newUntypedWorkflowStub("fleet/f8").getResult(FleetProgress.class);

    assertThat(p.state()).isEqualTo(State.COMPLETED);
    assertThat(p.succeeded()).isEqualTo(5);
    assertThat(p.wave()).isEqualTo(3);
    assertThat(RAN).hasSize(5);
    String lastRun =
        env.getWorkflowClient()
            .newUntypedWorkflowStub("fleet/f8")
            .describe()
            .getExecution()
            .getRunId();
    assertThat(lastRun).isNotEqualTo(firstRun);
  }
}
