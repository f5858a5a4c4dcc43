package io.keyturn.workflows;

import io.keyturn.workflows.model.WorkerKeys;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Asks the worker which keys it holds, through Temporal itself: the CLI starts one of these on the
 * worker's keys task queue ({@link #taskQueueFor}, polled by the same worker process as the
 * rotation queue, so a question never competes with rotation tasks) (no input, so any worker can
 * run it whatever payload key it holds) and the worker that picks it up answers within a second.
 * The CLI then refuses to start anything when its pinned public key is not in that worker's keyring
 * or its payload key differs. The answer is encrypted with the worker's payload key like every
 * payload, so a CLI holding another payload key learns that too, by the key id in the answer's
 * metadata.
 */
@WorkflowInterface
public interface WorkerKeysWorkflow {
  /** Prefix of this workflow's ids; a random suffix makes each question its own execution. */
  String WORKFLOW_ID_PREFIX = "keyturn-worker-keys/";

  /**
   * The task queue a worker of rotation task queue {@code rotationQueue} answers key questions on.
   */
  static String taskQueueFor(String rotationQueue) {
    return rotationQueue + "-keys";
  }

  /** The key ids and public keys of the worker that runs it. */
  @WorkflowMethod
  WorkerKeys describe();
}
