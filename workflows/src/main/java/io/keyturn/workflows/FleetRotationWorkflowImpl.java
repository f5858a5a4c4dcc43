package io.keyturn.workflows;

import io.keyturn.workflows.model.FleetProgress;
import io.keyturn.workflows.model.FleetProgress.Member;
import io.keyturn.workflows.model.FleetProgress.MemberState;
import io.keyturn.workflows.model.FleetProgress.State;
import io.keyturn.workflows.model.FleetRequest;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.ParentClosePolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.workflow.Async;
import io.temporal.workflow.ChildWorkflowOptions;
import io.temporal.workflow.Promise;
import io.temporal.workflow.Workflow;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;

/**
 * The fleet: waves of child rotations. Children are started with
 *
 * <ul>
 *   <li>{@link ParentClosePolicy#PARENT_CLOSE_POLICY_ABANDON}: a stopped (or terminated) fleet
 *       leaves rotations in their grace period alone, so their old keys are still revoked;
 *   <li>{@link WorkflowIdReusePolicy#WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY}: a
 *       member whose rotation completed or still runs is refused a second start (the fleet counts
 *       it as SKIPPED), one whose rotation failed is rotated again, which is what a resume needs.
 * </ul>
 *
 * A rotation is in flight until it has published its new key (it signals {@link #memberPublished})
 * or has closed, so a fleet of keys with a grace period of days still moves at the pace of mint,
 * verify and publish. The canary wave is a barrier: nothing else starts until every canary has
 * published and the canary's failures are judged. After it the waves may overlap: at most {@code
 * concurrency} rotations are in flight, and the next wave's members start as the current wave's
 * publish, as soon as the current wave can no longer cross the failure threshold even if every
 * rotation of it still in flight failed. So no member of a wave starts while the wave before could
 * still stop the fleet (with the default threshold 0 a wave waits for all of the previous one to
 * publish; with a fleet that tolerates failures, the slowest rotation of a wave no longer holds up
 * the next). A wave (the next {@code concurrency} members started) is judged as soon as its
 * failures cross the threshold (it can only get worse) or all of it is done; one that crosses stops
 * new starts at once, and the fleet waits for the rotations still in flight and reports STOPPED.
 * Revoking stays with each rotation, which outlives the fleet (ABANDON). The fleet completes when
 * every member is published, rotated, failed or skipped.
 *
 * <p>Fleets recorded before the overlap (no {@link #OVERLAPPING_WAVES} marker in their history)
 * replay with every wave a barrier, as they ran.
 */
public class FleetRotationWorkflowImpl implements FleetRotationWorkflow {

  /** Fleets larger than this continue as new every {@link #WAVES_PER_RUN} waves. */
  static final int MEMBERS_FOR_CONTINUE_AS_NEW = 200;

  static final int WAVES_PER_RUN = 20;

  /** The change id of the overlapping waves (version 1); without it every wave is a barrier. */
  static final String OVERLAPPING_WAVES = "overlapping-waves";

  private static final Logger log = Workflow.getLogger(FleetRotationWorkflowImpl.class);

  private final int membersForContinueAsNew;
  private final int wavesPerRun;

  private String fleetId;
  private final List<Member> members = new ArrayList<>();
  private State state = State.RUNNING;
  private int wave;
  private String message = "starting";

  /** The waves this run opened, in order. */
  private final List<Wave> waves = new ArrayList<>();

  /** The first member this run has not yet considered starting. */
  private int next;

  /** Counts members leaving RUNNING: each such change may make room or settle a wave. */
  private int leftRunning;

  /** Rotations that said they published, possibly before this run saw them start. */
  private final Set<String> published = new HashSet<>();

  public FleetRotationWorkflowImpl() {
    this(MEMBERS_FOR_CONTINUE_AS_NEW, WAVES_PER_RUN);
  }

  /** For tests: continue as new sooner. */
  FleetRotationWorkflowImpl(int membersForContinueAsNew, int wavesPerRun) {
    this.membersForContinueAsNew = membersForContinueAsNew;
    this.wavesPerRun = wavesPerRun;
  }

  /**
   * Up to {@code capacity} members, in start order (skipped members are not counted). A barrier
   * wave must be over before the next one opens.
   */
  private static final class Wave {
    final int number;
    final int capacity;
    final boolean barrier;
    final List<Integer> started = new ArrayList<>();

    /** Over and within the threshold: nothing left to judge. */
    boolean cleared;

    Wave(int number, int capacity, boolean barrier) {
      this.number = number;
      this.capacity = capacity;
      this.barrier = barrier;
    }
  }

  @Override
  public FleetProgress rotateFleet(FleetRequest request) {
    fleetId = Workflow.getInfo().getWorkflowId();
    if (request.carried() != null) {
      members.addAll(request.carried().members());
      wave = request.carried().wave();
    } else {
      for (RotationRequest m : request.members()) {
        members.add(
            new Member(
                m.secretId(),
                FleetRotationWorkflow.childWorkflowId(m.secretId(), fleetId),
                MemberState.PENDING,
                null));
      }
    }
    boolean overlap =
        Workflow.getVersion(OVERLAPPING_WAVES, Workflow.DEFAULT_VERSION, 1)
            != Workflow.DEFAULT_VERSION;
    next = firstPending();
    Wave stopped = null;
    boolean continuing = false;
    while (true) {
      if (stopped == null) {
        stopped = crossed(request, continuing);
      }
      if (stopped != null || continuing || next >= members.size()) {
        int inFlight = running();
        if (inFlight == 0) {
          break;
        }
        message =
            (stopped != null
                    ? "stopping: " + verdict(request, stopped) + "; "
                    : continuing ? "about to continue as new; " : "")
                + "waiting for "
                + inFlight
                + " rotation(s) to publish or fail";
        details();
        awaitChange();
        continue;
      }
      List<Launch> batch = new ArrayList<>();
      continuing = fill(request, overlap, batch);
      if (batch.isEmpty()) {
        if (!continuing && next < members.size()) {
          awaitChange(); // the window is full, or a barrier wave is not over yet
        }
        continue;
      }
      start(batch);
    }
    if (stopped != null) {
      state = State.STOPPED;
      message = "stopped after " + verdict(request, stopped);
      log.warn("fleet {} {}", fleetId, message);
      details();
      return progress();
    }
    if (continuing) {
      message = "continuing as new after wave " + wave;
      details();
      Workflow.continueAsNew(request.continuing(progress()));
    }
    state = State.COMPLETED;
    message = progress().completedMessage();
    log.info("fleet {} {}", fleetId, message);
    details();
    return progress();
  }

  private int firstPending() {
    for (int i = 0; i < members.size(); i++) {
      if (members.get(i).state() == MemberState.PENDING) {
        return i;
      }
    }
    return members.size();
  }

  private int running() {
    int n = 0;
    for (Member m : members) {
      if (m.state() == MemberState.RUNNING) {
        n++;
      }
    }
    return n;
  }

  private void awaitChange() {
    int seen = leftRunning;
    Workflow.await(() -> leftRunning != seen);
  }

  /**
   * Picks the members that may start now into {@code batch}, opening waves as they fill: a wave
   * takes members until it holds its capacity; a new one opens once the last is full and, if that
   * one is a barrier, over. Never more rotations in flight than the current wave's capacity.
   * Returns true when the run has opened its share of waves and should continue as new (start
   * nothing more, let the ones in flight publish, then continue).
   */
  private boolean fill(FleetRequest request, boolean overlap, List<Launch> batch) {
    int inFlight = running();
    Wave w = waves.isEmpty() ? null : waves.get(waves.size() - 1);
    while (next < members.size()) {
      if (w == null || w.started.size() >= w.capacity) {
        if (w != null && !mayFollow(request, w, batch)) {
          return false;
        }
        if (waves.size() >= wavesPerRun
            && (members.size() > membersForContinueAsNew
                || Workflow.getInfo().isContinueAsNewSuggested())) {
          return true;
        }
        boolean canary = wave == 0 && request.canarySize() > 0;
        int capacity = canary ? request.canarySize() : request.concurrency();
        if (inFlight + batch.size() >= capacity) {
          return false;
        }
        wave++;
        w = new Wave(wave, capacity, canary || !overlap);
        waves.add(w);
      }
      if (inFlight + batch.size() >= w.capacity) {
        return false;
      }
      int index = next++;
      if (members.get(index).state() != MemberState.PENDING) {
        continue;
      }
      batch.add(launch(request, index, w));
      w.started.add(index);
    }
    return false;
  }

  /**
   * Whether the next wave may open after {@code w}: a barrier wave must be over; another one must
   * be unable to cross the failure threshold even if every member of it still in flight (or about
   * to start, in {@code batch}) failed.
   */
  private boolean mayFollow(FleetRequest request, Wave w, List<Launch> batch) {
    long open = batch.stream().filter(l -> l.wave() == w).count();
    for (int i : w.started) {
      if (members.get(i).state() == MemberState.RUNNING) {
        open++;
      }
    }
    return w.barrier
        ? open == 0
        : (double) (failed(w).size() + open) / w.started.size() <= request.failureThreshold();
  }

  /** No member of the wave is in flight. */
  private boolean over(Wave w) {
    return w.started.stream().noneMatch(k -> members.get(k).state() == MemberState.RUNNING);
  }

  /**
   * The first wave whose failures crossed the threshold, or null. A wave is judged once no member
   * can join it any more (it is full, a later one opened, or nothing is left to start): from then
   * on its failure ratio can only grow, so crossing is final even while some of it is still in
   * flight.
   */
  private Wave crossed(FleetRequest request, boolean continuing) {
    for (int k = 0; k < waves.size(); k++) {
      Wave w = waves.get(k);
      if (w.cleared) {
        continue;
      }
      boolean closed =
          w.started.size() >= w.capacity
              || k < waves.size() - 1
              || next >= members.size()
              || continuing;
      if (!closed || w.started.isEmpty()) {
        continue;
      }
      if ((double) failed(w).size() / w.started.size() > request.failureThreshold()) {
        return w;
      }
      w.cleared = over(w);
    }
    return null;
  }

  private List<String> failed(Wave w) {
    List<String> failed = new ArrayList<>();
    for (int i : w.started) {
      if (members.get(i).state() == MemberState.FAILED) {
        failed.add(members.get(i).secretId());
      }
    }
    return failed;
  }

  /** Why the fleet stops, in words: the wave, its failures so far and what to do. */
  private String verdict(FleetRequest request, Wave w) {
    List<String> failed = failed(w);
    return "wave "
        + w.number
        + ": "
        + failed.size()
        + " of "
        + w.started.size()
        + " rotations failed ("
        + String.join(", ", failed)
        + "), more than the threshold "
        + request.failureThreshold()
        + ". Fix the cause, then start the fleet again with the same id: completed"
        + " members are skipped, failed and pending ones rotated.";
  }

  /** The child for member {@code index}, not yet started. */
  private Launch launch(FleetRequest request, int index, Wave w) {
    return new Launch(index, w, forFleet(request.members().get(index), request.requestedBy()));
  }

  /**
   * Starts the batch's rotations together: their start commands leave in one workflow task and the
   * fleet then waits for them all to have started, instead of one workflow task (a round trip
   * through the server) per child. The commands come in member order, as when they were started one
   * at a time, so histories from before replay unchanged (KeyRotationReplayTest replays one). A
   * member the server refuses as already rotated is SKIPPED and leaves its wave, so the wave takes
   * the next member instead.
   */
  private void start(List<Launch> batch) {
    List<Promise<WorkflowExecution>> executions = new ArrayList<>();
    List<Promise<RotationResult>> results = new ArrayList<>();
    for (Launch l : batch) {
      // Through a launcher: the rotation itself runs as rotation/<secret-id>, one at a time.
      RotationLauncherWorkflow child =
          Workflow.newChildWorkflowStub(
              RotationLauncherWorkflow.class,
              ChildWorkflowOptions.newBuilder()
                  .setWorkflowId(members.get(l.index()).workflowId())
                  .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                  .setWorkflowIdReusePolicy(
                      WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY)
                  .build());
      results.add(Async.function(child::launch, l.request()));
      executions.add(Workflow.getWorkflowExecution(child));
    }
    for (int b = 0; b < batch.size(); b++) {
      int index = batch.get(b).index();
      try {
        executions.get(b).get();
      } catch (RuntimeException e) {
        if (RotationFailures.alreadyStarted(e)) {
          batch.get(b).wave().started.remove(Integer.valueOf(index));
          set(index, MemberState.SKIPPED, "already rotated (or rotating) by an earlier run");
          continue;
        }
        set(index, MemberState.FAILED, "could not start: " + RotationMessages.rootMessage(e));
        continue;
      }
      set(
          index,
          published.contains(members.get(index).workflowId())
              ? MemberState.IN_GRACE
              : MemberState.RUNNING,
          null);
      results
          .get(b)
          .handle(
              (ok, failure) -> {
                if (failure == null) {
                  set(index, MemberState.SUCCEEDED, null);
                } else if (RotationFailures.hasType(failure, RotationFailures.ALREADY_RUNNING)) {
                  set(index, MemberState.SKIPPED, RotationMessages.rootMessage(failure));
                } else {
                  set(index, MemberState.FAILED, RotationMessages.rootMessage(failure));
                }
                return null;
              });
    }
    message = "wave " + wave + ": " + running() + " rotation(s) in flight";
    details();
  }

  /** A member about to start: its index, the wave it joins, its request. */
  private record Launch(int index, Wave wave, RotationRequest request) {}

  @Override
  public void memberPublished(String rotationWorkflowId) {
    published.add(rotationWorkflowId);
    for (int i = 0; i < members.size(); i++) {
      Member m = members.get(i);
      if (m.workflowId().equals(rotationWorkflowId) && m.state() == MemberState.RUNNING) {
        set(i, MemberState.IN_GRACE, null);
      }
    }
  }

  private void set(int index, MemberState s, String detail) {
    Member m = members.get(index);
    if (m.state() == MemberState.RUNNING && s != MemberState.RUNNING) {
      leftRunning++;
    }
    members.set(index, new Member(m.secretId(), m.workflowId(), s, detail));
    details();
  }

  /** The member's request, with the fleet named in its audit trail. */
  private RotationRequest forFleet(RotationRequest m, String requestedBy) {
    return m.toBuilder()
        .requestedBy("fleet " + fleetId + " by " + requestedBy + " (" + m.requestedBy() + ")")
        .build();
  }

  /** The UI's "current details": the counts and what is failing. */
  private void details() {
    if (fleetId == null) {
      return;
    }
    FleetProgress p = progress();
    StringBuilder b =
        new StringBuilder("**")
            .append(p.state())
            .append("** fleet `")
            .append(fleetId)
            .append("`, wave ")
            .append(p.wave())
            .append("\n\n")
            .append(p.done())
            .append('/')
            .append(p.total())
            .append(" done: ")
            .append(p.succeeded())
            .append(" rotated, ")
            .append(p.failed())
            .append(" failed, ")
            .append(p.skipped())
            .append(" skipped; ")
            .append(p.running())
            .append(" running\n\n")
            .append(message);
    if (p.failed() > 0) {
      b.append("\n\nfailed: ").append(String.join(", ", p.secretIds(MemberState.FAILED)));
    }
    Workflow.setCurrentDetails(b.toString());
  }

  @Override
  public FleetProgress progress() {
    return FleetProgress.of(fleetId, state, wave, members, message);
  }
}
