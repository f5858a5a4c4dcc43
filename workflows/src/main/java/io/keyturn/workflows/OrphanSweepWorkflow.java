package io.keyturn.workflows;

import io.keyturn.workflows.model.SweepRequest;
import io.keyturn.workflows.model.SweepResult;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Finds (and, when asked, deletes) the keys Keyturn minted that nothing uses, on the worker, with
 * its credentials: {@code keyturn orphans} starts one, and so does the orphan schedule. Runs on the
 * rotation task queue.
 */
@WorkflowInterface
public interface OrphanSweepWorkflow {
  /** Prefix of this workflow's ids; a random or scheduled suffix makes each sweep its own. */
  String WORKFLOW_ID_PREFIX = "keyturn-orphans/";

  /**
   * With nothing to delete: the report. With confirmed orphans: deletes each one that is still an
   * orphan when checked again right before its deletion, and says what happened to each.
   */
  @WorkflowMethod(name = "OrphanSweep")
  SweepResult sweep(SweepRequest request);
}
