package io.keyturn.starter.checks;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.WorkerKeysWorkflow;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerPublicKey;
import io.keyturn.workflows.model.WorkerKeys;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Before a command starts anything, asks the worker (a {@link WorkerKeysWorkflow} on the rotation
 * task queue) which keys it holds, and refuses, naming both key ids, when this CLI's pinned worker
 * public key is not in the worker's keyring or its payload key is not the worker's. A rotation the
 * worker could not read or open never starts.
 */
public final class WorkerKeysCheck {
  /** How long the worker has to answer: a running worker answers in well under a second. */
  public static final Duration ANSWER_WITHIN = Duration.ofSeconds(10);

  private WorkerKeysCheck() {}

  /**
   * Asks and compares. {@code pin} may be null (the command seals nothing); the payload key is
   * always checked. Throws {@link CliFailure}: usage (2) for a key mismatch, failed (1) when no
   * worker answers.
   */
  public static WorkerKeys require(
      WorkflowClient client,
      String address,
      WorkerPublicKey pin,
      PayloadKeys payload,
      Duration within,
      PrintWriter err) {
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            "WorkerKeysWorkflow",
            WorkflowOptions.newBuilder()
                .setWorkflowId(WorkerKeysWorkflow.WORKFLOW_ID_PREFIX + UUID.randomUUID())
                .setTaskQueue(WorkerKeysWorkflow.taskQueueFor(KeyRotationWorkflow.TASK_QUEUE))
                // An unanswered question does not linger in the namespace.
                .setWorkflowExecutionTimeout(within.plus(Duration.ofSeconds(30)))
                .build());
    stub.start();
    WorkerKeys answer;
    try {
      Duration first = within.compareTo(ANSWER_WITHIN) < 0 ? within : ANSWER_WITHIN;
      try {
        answer = stub.getResult(first.toMillis(), TimeUnit.MILLISECONDS, WorkerKeys.class);
      } catch (TimeoutException quiet) {
        if (within.compareTo(first) <= 0) {
          throw quiet;
        }
        // A worker being restarted answers late: say so, and wait out the rest.
        err.println(
            "keyturn: no Keyturn worker answered within "
                + first.toSeconds()
                + " s; waiting up to "
                + within.minus(first).toSeconds()
                + " s more (a worker may be restarting; "
                + TemporalCommand.WAIT_ENV
                + ")...");
        err.flush();
        answer =
            stub.getResult(within.minus(first).toMillis(), TimeUnit.MILLISECONDS, WorkerKeys.class);
      }
    } catch (TimeoutException e) {
      try {
        stub.terminate("no worker answered within " + within.toSeconds() + " s");
      } catch (RuntimeException ignored) {
        // It times out by itself within a minute.
      }
      throw CliFailure.failed(
          "no Keyturn worker answered on task queue "
              + KeyRotationWorkflow.TASK_QUEUE
              + " at "
              + address
              + " within "
              + within.toSeconds()
              + " s, so this CLI cannot check that the worker holds its keys: start the worker"
              + " (scripts/demo.sh or docker compose up worker) and check --namespace. Nothing was"
              + " started.");
    } catch (RuntimeException e) {
      KeyturnPayloadCodec.WrongPayloadKeyException wrong = TemporalCommand.wrongPayloadKey(e);
      if (wrong != null) {
        throw new CliFailure(
            CliFailure.USAGE,
            "the worker encrypts with payload key "
                + wrong.payloadKeyId()
                + " but this CLI holds payload key "
                + payload.currentId()
                + ": set KEYTURN_PAYLOAD_KEY (or KEYTURN_PAYLOAD_KEY_FILE) to the payload key the"
                + " worker uses. Nothing was started.");
      }
      throw e;
    }
    if (!answer.payloadKeyIds().contains(payload.currentId())) {
      throw new CliFailure(
          CliFailure.USAGE,
          "this CLI encrypts with payload key "
              + payload.currentId()
              + ", which the worker does not hold (it holds "
              + answer.payloadKeyIds()
              + "): set KEYTURN_PAYLOAD_KEY (or KEYTURN_PAYLOAD_KEY_FILE) to the worker's payload key"
              + " "
              + answer.payloadKeyId()
              + ". Nothing was started.");
    }
    if (pin != null) {
      if (!answer.publicKeys().contains(pin.text())) {
        throw new CliFailure(
            CliFailure.USAGE,
            "this CLI's worker public key "
                + pin.id()
                + " (KEYTURN_WORKER_PUBLIC_KEY) is not in the worker's keyring (current key "
                + answer.currentKeyId()
                + ", "
                + answer.publicKeys().size()
                + " key(s) held): the worker could not open what this CLI seals. Set"
                + " KEYTURN_WORKER_PUBLIC_KEY (or _FILE) to the worker's public key, which `keyturn"
                + " keyring public --file <the worker's keyring file>` prints. Nothing was started.");
      }
      if (!pin.id().equals(answer.currentKeyId())) {
        err.println(
            "note: this CLI seals to worker key "
                + pin.id()
                + ", which the worker still holds but has replaced with "
                + answer.currentKeyId()
                + "; update KEYTURN_WORKER_PUBLIC_KEY before that key is retired.");
      }
    }
    return answer;
  }
}
