package io.keyturn.workflows;

import io.keyturn.workflows.model.WorkerKeys;
import java.util.Objects;

/**
 * Answers with the keys of the worker process that registered it. The answer comes from the
 * worker's configuration, not from history: it is the workflow's result only, and no command
 * depends on it, so a replay on another worker stays deterministic.
 */
public class WorkerKeysWorkflowImpl implements WorkerKeysWorkflow {
  private final WorkerKeys keys;

  public WorkerKeysWorkflowImpl(WorkerKeys keys) {
    this.keys = Objects.requireNonNull(keys, "keys");
  }

  @Override
  public WorkerKeys describe() {
    return keys;
  }
}
