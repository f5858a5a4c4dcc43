package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.KeyturnCli;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.output.RotationView;
import io.keyturn.starter.output.RotationWatcher;
import io.keyturn.workflows.EmergencyRotation;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.enums.v1.WorkflowIdConflictPolicy;
import io.temporal.api.enums.v1.WorkflowIdReusePolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Starts an emergency rotation ({@link EmergencyRotation}) for {@code keyturn leaked} and {@code
 * keyturn rotate --emergency}: under the secret's one workflow id, {@code rotation/<id>}. A routine
 * rotation running there is cancelled with the takeover reason and waited for (it cleans up after
 * itself: before publish it deletes its new key, after publish it deletes its old key); an
 * emergency rotation already running is followed instead of starting another. The start itself
 * relies on Temporal's id policies (a closed run does not block, a running one does): if another
 * rotation slipped in meanwhile, it is taken over in turn, a few times at most.
 */
final class EmergencyStart {
  private EmergencyStart() {}

  /** How long a cancelled routine rotation may take to clean up and close. */
  static final Duration TAKEOVER_WAIT = Duration.ofMinutes(3);

  static final int ATTEMPTS = 3;

  /**
   * How recently an emergency rotation of the secret must have completed for a second one, chained
   * from the store, to be refused: it would block the key the first one just published.
   */
  static final Duration RECENT = Duration.ofMinutes(15);

  /**
   * What was started (or found running) and, when a routine rotation was taken over, what it said
   * as it closed.
   */
  record Started(
      WorkflowExecution execution, boolean alreadyRunning, Map<String, Object> tookOver) {}

  /**
   * @param again start even if an emergency rotation of the secret completed within {@link #RECENT}
   *     (the key it published leaked too); only matters when the leaked key is the one the primary
   *     destination holds
   */
  static Started start(
      WorkflowClient client,
      RotationRequest request,
      KeyturnCli.Timing timing,
      PrintWriter err,
      boolean json,
      boolean again) {
    String id = request.workflowId();
    if (request.chainFromStore() && !again) {
      refuseRightAfterAnother(client, request, timing);
    }
    Map<String, Object> tookOver = null;
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      WorkflowExecutionDescription running = running(client, id);
      if (running != null) {
        String by = running.getMemo(EmergencyRotation.MEMO, String.class, String.class);
        if (by != null) {
          if (!json) {
            err.println(
                "keyturn: an emergency rotation of "
                    + request.secretId()
                    + " is already running ("
                    + id
                    + ", requested by "
                    + by
                    + ", started "
                    + running.getStartTime()
                    + "); following it instead of starting another.");
          }
          return new Started(running.getExecution(), true, tookOver);
        }
        tookOver = takeOver(client, id, running, request.requestedBy(), timing, err, json);
      }
      KeyRotationWorkflow wf = client.newWorkflowStub(KeyRotationWorkflow.class, options(request));
      try {
        return new Started(WorkflowClient.start(wf::rotate, request), false, tookOver);
      } catch (WorkflowExecutionAlreadyStarted e) {
        // Someone (a schedule, a fleet) started a rotation since: take that one over too.
      }
    }
    throw CliFailure.failed(
        "another rotation of "
            + request.secretId()
            + " started each time the emergency rotation tried to ("
            + ATTEMPTS
            + " times): is a schedule or a fleet starting them? Pause it (`keyturn pause "
            + request.secretId()
            + "`) and run this again. Nothing was blocked.");
  }

  /**
   * The same emergency command run twice (its answer lost, a second operator) must not block the
   * key the first run just published: refused, naming that run, unless the caller says {@code
   * again}.
   */
  private static void refuseRightAfterAnother(
      WorkflowClient client, RotationRequest request, KeyturnCli.Timing timing) {
    WorkflowExecutionDescription last;
    try {
      last = client.newUntypedWorkflowStub(request.workflowId()).describe();
    } catch (WorkflowNotFoundException e) {
      return;
    }
    String by = last.getMemo(EmergencyRotation.MEMO, String.class, String.class);
    if (by == null
        || last.getStatus() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED
        || last.getCloseTime() == null
        || last.getCloseTime().isBefore(java.time.Instant.now().minus(RECENT))) {
      return;
    }
    RotationView v = new RotationWatcher(client, timing).inspect(request.workflowId());
    String live =
        v.result() == null || v.result().newKey() == null
            ? "its new key"
            : "its new key " + v.result().newKey().fingerprint();
    throw CliFailure.failed(
        "an emergency rotation of "
            + request.secretId()
            + " completed at "
            + last.getCloseTime()
            + " (run "
            + last.getExecution().getRunId()
            + ", requested by "
            + by
            + "): the leaked key is already deleted and "
            + live
            + " is what "
            + request.destinations().get(0).describe()
            + " holds now. Nothing was started: this would block that new key. If the new key"
            + " leaked too, run `keyturn leaked "
            + request.secretId()
            + " -f FILE --again`; see the finished one with `keyturn status "
            + request.workflowId()
            + "`.");
  }

  /** The workflow options of an emergency rotation: conflict FAIL, closed runs do not block. */
  static WorkflowOptions options(RotationRequest request) {
    String dests =
        String.join(", ", request.destinations().stream().map(Destination::describe).toList());
    return WorkflowOptions.newBuilder()
        .setWorkflowId(request.workflowId())
        .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
        .setWorkflowIdReusePolicy(WorkflowIdReusePolicy.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE)
        .setWorkflowIdConflictPolicy(WorkflowIdConflictPolicy.WORKFLOW_ID_CONFLICT_POLICY_FAIL)
        .setMemo(Map.of(EmergencyRotation.MEMO, request.requestedBy()))
        .setStaticSummary(
            "EMERGENCY "
                + request.secretId()
                + " g"
                + request.generation()
                + ": block the leaked key "
                + oldKeyText(request)
                + ", publish a new one to "
                + dests
                + ", delete the leaked key (no grace)")
        .setStaticDetails(
            "Emergency rotation (leaked key) requested by "
                + request.requestedBy()
                + " at "
                + request.gatewayUrl()
                + ". The leaked key is blocked before anything is minted and is never unblocked by"
                + " Keyturn; it is deleted as soon as the new key is verified and published"
                + " everywhere.")
        .build();
  }

  static String oldKeyText(RotationRequest request) {
    return request.oldKey() != null && !request.chainFromStore()
        ? request.oldKey().fingerprint()
        : "(the key " + request.destinations().get(0).describe() + " holds)";
  }

  private static WorkflowExecutionDescription running(WorkflowClient client, String id) {
    try {
      WorkflowExecutionDescription d = client.newUntypedWorkflowStub(id).describe();
      return d.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING ? d : null;
    } catch (WorkflowNotFoundException e) {
      return null;
    }
  }

  /** Cancels the running routine rotation as a takeover and waits for it to close. */
  private static Map<String, Object> takeOver(
      WorkflowClient client,
      String id,
      WorkflowExecutionDescription running,
      String requestedBy,
      KeyturnCli.Timing timing,
      PrintWriter err,
      boolean json) {
    String runId = running.getExecution().getRunId();
    RotationWatcher watcher = new RotationWatcher(client, timing);
    RotationView before = watcher.inspect(id);
    String phase =
        before.status() == null || before.status().phase() == null
            ? "unknown"
            : before.status().phase().name();
    if (!json) {
      err.println(
          "keyturn: a routine rotation of this secret is running ("
              + id
              + ", run "
              + runId
              + ", phase "
              + phase
              + "): cancelling it so that the emergency rotation takes over; it cleans up after"
              + " itself"
              + (phase.equals("IN_GRACE") || phase.equals("REVOKING")
                  ? " and deletes its old key now (an emergency does not honour grace)"
                  : " (its new key is deleted)")
              + "...");
      err.flush();
    }
    WorkflowStub stub = client.newUntypedWorkflowStub(id, Optional.of(runId), Optional.empty());
    stub.cancel(EmergencyRotation.takeoverReason(requestedBy));
    try {
      stub.getResult(TAKEOVER_WAIT.toMillis(), TimeUnit.MILLISECONDS, RotationResult.class);
    } catch (TimeoutException e) {
      throw CliFailure.failed(
          "the routine rotation "
              + id
              + " (run "
              + runId
              + ") was asked to stop but has not closed within "
              + TAKEOVER_WAIT.toMinutes()
              + " minutes: it is still cleaning up (see `keyturn status "
              + id
              + "`; is a worker running?). Nothing was blocked yet: run this command again once it"
              + " has closed.");
    } catch (RuntimeException e) {
      // Expected: it closes as cancelled (or failed); how is read below.
    }
    RotationView after = watcher.inspect(id);
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workflowId", id);
    o.put("runId", runId);
    o.put("phase", phase);
    o.put("closedAs", after.workflowStatus());
    String said =
        after.status() != null && after.status().message() != null
            ? after.status().message()
            : after.failure();
    o.put("outcome", said);
    if (!json) {
      err.println(
          "keyturn: " + id + " run " + runId + " closed as " + after.workflowStatus() + ".");
      err.flush();
    }
    return o;
  }

  /** The lines {@code leaked} and {@code rotate --emergency} print once the rotation started. */
  static void printStarted(PrintWriter out, RotationRequest request, Started s, String ui) {
    out.println(
        (s.alreadyRunning() ? "Following emergency rotation " : "Started EMERGENCY rotation ")
            + request.workflowId());
    Report.row(out, "run id", s.execution().getRunId());
    Report.row(out, "leaked key", oldKeyText(request) + ": blocked first, deleted after publish");
    Report.row(out, "new key", "alias " + request.newKeyAlias() + " (minted by the worker)");
    Report.row(
        out,
        "publish to",
        String.join(", ", request.destinations().stream().map(Destination::describe).toList()));
    Report.row(out, "grace", "none (emergency)");
    Report.row(out, "requested by", request.requestedBy());
    if (s.tookOver() != null) {
      Report.row(
          out,
          "took over",
          s.tookOver().get("workflowId")
              + " run "
              + s.tookOver().get("runId")
              + " (was "
              + s.tookOver().get("phase")
              + ", closed as "
              + s.tookOver().get("closedAs")
              + "): "
              + s.tookOver().get("outcome"));
    }
    Report.row(out, "ui", ui);
  }

  /** What the JSON output adds about the start. */
  static Map<String, Object> json(RotationRequest request, Started s) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("emergency", true);
    o.put("requestedBy", request.requestedBy());
    o.put("secretId", request.secretId());
    o.put("generation", request.generation());
    o.put("newKeyAlias", request.newKeyAlias());
    o.put("destinations", request.destinations().stream().map(Destination::describe).toList());
    o.put("alreadyRunning", s.alreadyRunning());
    o.put("tookOver", s.tookOver());
    return o;
  }

  /**
   * Prints the start (text, or one JSON object when not waiting); with {@code await} follows the
   * rotation to its end through the command's {@code awaitAndReport}, which prints the outcome (the
   * emergency's window among it). Returns the exit code.
   */
  static int finish(
      PrintWriter out,
      boolean json,
      RotationRequest request,
      Started s,
      String ui,
      boolean await,
      java.util.function.Function<Map<String, Object>, Integer> awaitAndReport) {
    Map<String, Object> extra = json(request, s);
    if (!json) {
      printStarted(out, request, s, ui);
    }
    if (await) {
      return awaitAndReport.apply(extra);
    }
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workflowId", request.workflowId());
      o.put("runId", s.execution().getRunId());
      o.put("workflowStatus", RotationView.RUNNING);
      o.putAll(extra);
      o.put("ui", ui);
      Report.printJson(out, o);
    } else {
      out.println("Follow it: keyturn wait " + request.workflowId());
    }
    return 0;
  }
}
