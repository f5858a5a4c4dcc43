package io.keyturn.starter.output;

import io.grpc.StatusRuntimeException;
import io.keyturn.starter.CliFailure;
import io.keyturn.starter.KeyturnCli;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.api.enums.v1.TaskQueueType;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.taskqueue.v1.TaskQueue;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueRequest;
import io.temporal.api.workflowservice.v1.DescribeTaskQueueResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowException;
import io.temporal.client.WorkflowExecutionDescription;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.failure.TerminatedFailure;
import io.temporal.failure.TimeoutFailure;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Looks at one rotation: once ({@link #inspect}) or until it closes ({@link #await}), showing
 * progress on a {@link ProgressLine} meanwhile.
 */
public final class RotationWatcher {
  private static final String STATUS_PREFIX = "WORKFLOW_EXECUTION_STATUS_";

  /** Runs status queries, so a query no worker answers can be given up on in time. */
  private static final ExecutorService QUERIES =
      Executors.newCachedThreadPool(
          r -> {
            Thread t = new Thread(r, "keyturn-status-query");
            t.setDaemon(true);
            return t;
          });

  private final WorkflowClient client;
  private final KeyturnCli.Timing timing;

  public RotationWatcher(WorkflowClient client, KeyturnCli.Timing timing) {
    this.client = client;
    this.timing = timing;
  }

  /** Why the workflow's status is not known; the message says what to check. */
  static final class NoStatus extends Exception {
    NoStatus(String message) {
      super(message, null, false, false);
    }
  }

  /** Describes the execution and asks the workflow for its status; never waits for it to close. */
  public RotationView inspect(String workflowId) {
    WorkflowStub stub = stub(workflowId);
    WorkflowExecutionDescription d = stub.describe();
    return view(workflowId, d, stub);
  }

  /** Temporal's view only: no query, no result. */
  public RotationView describeOnly(String workflowId) {
    WorkflowExecutionDescription d = stub(workflowId).describe();
    return new RotationView(
        workflowId,
        d.getExecution().getRunId(),
        statusName(d.getStatus()),
        d.getStartTime(),
        d.getCloseTime(),
        null,
        null,
        null,
        null,
        retrying(d));
  }

  /**
   * Why a running rotation is not moving, from Temporal's own record of its pending steps: the step
   * being retried, its attempt, its last failure (messages name keys by fingerprint only) and when
   * it is tried next. Null when no step is being retried.
   */
  static String retrying(WorkflowExecutionDescription d) {
    for (var p : d.getRawDescription().getPendingActivitiesList()) {
      if (p.getAttempt() > 1 && p.hasLastFailure()) {
        String next =
            p.hasNextAttemptScheduleTime()
                ? ", next try at "
                    + java.time.Instant.ofEpochSecond(
                        p.getNextAttemptScheduleTime().getSeconds(),
                        p.getNextAttemptScheduleTime().getNanos())
                : "";
        return p.getActivityType().getName()
            + " attempt "
            + p.getAttempt()
            + " failed: "
            + p.getLastFailure().getMessage()
            + next;
      }
    }
    return null;
  }

  /**
   * Polls until the rotation closes, then returns its outcome. Progress goes to {@code progress}
   * (null for none). The rotation does not depend on this: stopping the CLI stops only the
   * watching.
   */
  public RotationView await(String workflowId, ProgressLine progress) {
    WorkflowStub stub = stub(workflowId);
    WorkflowExecutionDescription d;
    try {
      while (true) {
        d = stub.describe();
        if (d.getStatus() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
          break;
        }
        if (progress != null) {
          String retrying = retrying(d);
          try {
            progress.show(queryStatus(workflowId));
          } catch (NoStatus e) {
            progress.note("waiting: " + e.getMessage());
          }
          if (retrying != null) {
            progress.note("retrying: " + retrying);
          }
        }
        sleep();
      }
    } finally {
      if (progress != null) {
        progress.end();
      }
    }
    return view(workflowId, d, stub);
  }

  /**
   * Asks the workflow for its status. A worker answers (for a closed workflow too, by replaying
   * it); without one the query would hang for a minute in the SDK's retries, so the task queue is
   * checked for pollers first and the query is given up after {@link
   * KeyturnCli.Timing#queryTimeout}.
   */
  RotationStatus queryStatus(String workflowId) throws NoStatus {
    if (Boolean.FALSE.equals(workerPolls())) {
      throw new NoStatus(
          "no keyturn worker polls task queue "
              + KeyRotationWorkflow.TASK_QUEUE
              + " in namespace "
              + client.getOptions().getNamespace()
              + ", so the workflow cannot answer its status query: start the worker"
              + " (scripts/demo.sh starts one)");
    }
    Future<RotationStatus> answer = QUERIES.submit(() -> typed(workflowId).status());
    try {
      return answer.get(timing.queryTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      answer.cancel(true);
      throw new NoStatus(
          "the workflow did not answer its status query within "
              + (timing.queryTimeout().toMillis() < 1000
                  ? timing.queryTimeout().toMillis() + "ms"
                  : Durations.format(timing.queryTimeout()))
              + " (is a keyturn worker polling task queue "
              + KeyRotationWorkflow.TASK_QUEUE
              + "?)");
    } catch (ExecutionException e) {
      var wrongSecret = TemporalCommand.wrongPayloadKey(e);
      if (wrongSecret != null) {
        // Not a state of the rotation but of this command's configuration: every read would fail.
        throw new CliFailure(CliFailure.USAGE, wrongSecret.getMessage());
      }
      if (e.getCause() instanceof WorkflowException w) {
        Throwable c = w.getCause() == null ? w : w.getCause();
        throw new NoStatus("the status query failed: " + c.getMessage());
      }
      if (e.getCause() instanceof RuntimeException r) {
        throw r;
      }
      throw new IllegalStateException(e.getCause());
    } catch (InterruptedException e) {
      answer.cancel(true);
      Thread.currentThread().interrupt();
      throw CliFailure.failed("interrupted while asking for the status");
    }
  }

  /** Whether any worker polls the rotation task queue; null when the server will not say. */
  private Boolean workerPolls() {
    try {
      DescribeTaskQueueResponse r =
          client
              .getWorkflowServiceStubs()
              .blockingStub()
              .withDeadlineAfter(timing.queryTimeout().toMillis(), TimeUnit.MILLISECONDS)
              .describeTaskQueue(
                  DescribeTaskQueueRequest.newBuilder()
                      .setNamespace(client.getOptions().getNamespace())
                      .setTaskQueue(TaskQueue.newBuilder().setName(KeyRotationWorkflow.TASK_QUEUE))
                      .setTaskQueueType(TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW)
                      .build());
      return r.getPollersCount() > 0;
    } catch (StatusRuntimeException e) {
      // Not supported (the in-memory test server) or not allowed: let the query find out.
      return null;
    }
  }

  private RotationView view(String workflowId, WorkflowExecutionDescription d, WorkflowStub stub) {
    String status = statusName(d.getStatus());
    RotationStatus rs = null;
    String statusError = null;
    try {
      rs = queryStatus(workflowId);
    } catch (NoStatus e) {
      statusError = e.getMessage();
    }
    RotationResult result = null;
    String failure = null;
    if (d.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      result = result(stub);
    } else if (d.getStatus() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      failure = failure(stub, status, rs);
    }
    return new RotationView(
        workflowId,
        d.getExecution().getRunId(),
        status,
        d.getStartTime(),
        d.getCloseTime(),
        rs,
        statusError,
        result,
        failure,
        d.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
            ? retrying(d)
            : null);
  }

  private static RotationResult result(WorkflowStub stub) {
    try {
      return stub.getResult(10, TimeUnit.SECONDS, RotationResult.class);
    } catch (TimeoutException e) {
      return null;
    }
  }

  /** The failure of a closed rotation, in the workflow's own words when it left some. */
  private static String failure(WorkflowStub stub, String status, RotationStatus rs) {
    // The workflow writes its failure for operators (what failed, which key, what to do) into its
    // status; Temporal's failure chain is the fallback when the query could not be answered.
    if (rs != null
        && rs.message() != null
        && (rs.phase() == RotationPhase.FAILED || rs.phase() == RotationPhase.ROLLED_BACK)) {
      return rs.message();
    }
    try {
      stub.getResult(10, TimeUnit.SECONDS, RotationResult.class);
      return "the workflow closed as " + status;
    } catch (WorkflowFailedException e) {
      return failureMessage(e.getCause(), status);
    } catch (TimeoutException | WorkflowException e) {
      return "the workflow closed as " + status + " (no details: " + e.getMessage() + ")";
    }
  }

  static String failureMessage(Throwable cause, String status) {
    if (cause instanceof TerminatedFailure t) {
      return "terminated"
          + (t.getOriginalMessage() == null || t.getOriginalMessage().isBlank()
              ? ""
              : ": " + t.getOriginalMessage())
          + ". The rotation stopped where it was: check the old and new keys by hand.";
    }
    if (cause instanceof TimeoutFailure t) {
      return "timed out (" + t.getTimeoutType() + ")";
    }
    if (cause instanceof CanceledFailure) {
      return "cancelled";
    }
    if (cause instanceof TemporalFailure tf) {
      String top = tf.getOriginalMessage();
      Throwable root = tf;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      if (root == tf) {
        return top;
      }
      String rootText =
          root instanceof TemporalFailure r ? r.getOriginalMessage() : root.getMessage();
      String type = root instanceof ApplicationFailure af ? " [" + af.getType() + "]" : "";
      return top.contains(rootText) ? top : top + " (caused by: " + rootText + type + ")";
    }
    return cause == null ? "the workflow closed as " + status : cause.getMessage();
  }

  public static String statusName(WorkflowExecutionStatus s) {
    String n = s.name();
    return n.startsWith(STATUS_PREFIX) ? n.substring(STATUS_PREFIX.length()) : n;
  }

  private WorkflowStub stub(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId);
  }

  private KeyRotationWorkflow typed(String workflowId) {
    return client.newWorkflowStub(KeyRotationWorkflow.class, workflowId);
  }

  private void sleep() {
    try {
      Thread.sleep(timing.pollEvery().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.failed("interrupted while waiting; the rotation itself goes on");
    }
  }
}
