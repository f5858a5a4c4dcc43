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
 * A wave is done when each of its rotations has published its new key (it signals {@link
 * #memberPublished}) or has closed, so a fleet of keys with a grace period of days still moves at
 * the pace of mint, verify and publish; the canary proves those before the rest follows. Revoking
 * stays with each rotation, which outlives the fleet (ABANDON). The fleet completes when every
 * member is published, rotated, failed or skipped.
 */
public class FleetRotationWorkflowImpl implements FleetRotationWorkflow {

  /** Fleets larger than this continue as new every {@link #WAVES_PER_RUN} waves. */
  static final int MEMBERS_FOR_CONTINUE_AS_NEW = 200;

  static final int WAVES_PER_RUN = 20;

  private static final Logger log = Workflow.getLogger(FleetRotationWorkflowImpl.class);

  private final int membersForContinueAsNew;
  private final int wavesPerRun;

  private String fleetId;
  private final List<Member> members = new ArrayList<>();
  private State state = State.RUNNING;
  private int wave;
  private String message = "starting";

  /** Indexes of the members the current wave rotated (or failed to start). */
  private final List<Integer> inWave = new ArrayList<>();

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
    int wavesThisRun = 0;
    int next = firstPending();
    while (next < members.size()) {
      int size =
          wave == 0 && request.canarySize() > 0 ? request.canarySize() : request.concurrency();
      wave++;
      wavesThisRun++;
      next = runWave(request, next, size);
      int ran = 0;
      List<String> failedNow = new ArrayList<>();
      for (int i = 0; i < members.size(); i++) {
        Member m = members.get(i);
        if (inWave.contains(i)) {
          ran++;
          if (m.state() == MemberState.FAILED) {
            failedNow.add(m.secretId());
          }
        }
      }
      inWave.clear();
      if (ran > 0 && (double) failedNow.size() / ran > request.failureThreshold()) {
        state = State.STOPPED;
        message =
            "stopped after wave "
                + wave
                + ": "
                + failedNow.size()
                + " of "
                + ran
                + " rotations failed ("
                + String.join(", ", failedNow)
                + "), more than the threshold "
                + request.failureThreshold()
                + ". Fix the cause, then start the fleet again with the same id: completed"
                + " members are skipped, failed and pending ones rotated.";
        log.warn("fleet {} {}", fleetId, message);
        details();
        return progress();
      }
      if (next < members.size()
          && wavesThisRun >= wavesPerRun
          && (members.size() > membersForContinueAsNew
              || Workflow.getInfo().isContinueAsNewSuggested())) {
        message = "continuing as new after wave " + wave;
        details();
        Workflow.continueAsNew(request.continuing(progress()));
      }
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

  /**
   * Starts up to {@code size} rotations from member {@code from} on, skipping members an earlier
   * run already rotated (so a resumed fleet's waves are full), and waits until each has published
   * its new key or closed. Returns the index of the first member not yet started.
   *
   * <p>The wave's children are started together: their start commands leave in one workflow task
   * and the fleet then waits for them all to have started, instead of one workflow task (a round
   * trip through the server) per child. The commands come in the same order as when they were
   * started one at a time, so histories from before replay unchanged (KeyRotationReplayTest replays
   * one).
   */
  private int runWave(FleetRequest request, int from, int size) {
    int started = 0;
    int i = from;
    message = "wave " + wave + ": starting up to " + size + " rotation(s)";
    details();
    while (i < members.size() && inWave.size() < size) {
      List<Launch> batch = new ArrayList<>();
      while (i < members.size() && inWave.size() + batch.size() < size) {
        int index = i++;
        Member m = members.get(index);
        if (m.state() != MemberState.PENDING) {
          continue;
        }
        RotationRequest r = forFleet(request.members().get(index), request.requestedBy());
        // Through a launcher: the rotation itself runs as rotation/<secret-id>, one at a time.
        RotationLauncherWorkflow child =
            Workflow.newChildWorkflowStub(
                RotationLauncherWorkflow.class,
                ChildWorkflowOptions.newBuilder()
                    .setWorkflowId(m.workflowId())
                    .setParentClosePolicy(ParentClosePolicy.PARENT_CLOSE_POLICY_ABANDON)
                    .setWorkflowIdReusePolicy(
                        WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY)
                    .build());
        Promise<RotationResult> result = Async.function(child::launch, r);
        batch.add(new Launch(index, Workflow.getWorkflowExecution(child), result));
      }
      for (Launch l : batch) {
        int index = l.index();
        try {
          l.execution().get();
        } catch (RuntimeException e) {
          if (RotationFailures.alreadyStarted(e)) {
            set(index, MemberState.SKIPPED, "already rotated (or rotating) by an earlier run");
            continue;
          }
          set(index, MemberState.FAILED, "could not start: " + RotationMessages.rootMessage(e));
          inWave.add(index);
          continue;
        }
        set(
            index,
            published.contains(members.get(index).workflowId())
                ? MemberState.IN_GRACE
                : MemberState.RUNNING,
            null);
        inWave.add(index);
        started++;
        l.result()
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
    }
    message = "wave " + wave + ": " + started + " rotation(s) running";
    details();
    Workflow.await(
        () -> inWave.stream().noneMatch(k -> members.get(k).state() == MemberState.RUNNING));
    return i;
  }

  /** A child started in a wave: its member, its start, its result. */
  private record Launch(
      int index, Promise<WorkflowExecution> execution, Promise<RotationResult> result) {}

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
