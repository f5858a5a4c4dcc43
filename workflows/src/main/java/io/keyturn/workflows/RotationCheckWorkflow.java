package io.keyturn.workflows;

import io.keyturn.workflows.model.RotationCheck;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Asks the worker, before a rotation starts, whether it could do what the rotation's first step
 * does: check every destination with the worker's credentials and, for a rotation that chains from
 * its store, read which key the primary destination holds. Read-only, one attempt per call, on the
 * rotation task queue (where the store activities run). The CLI starts one of these before {@code
 * rotate} or {@code apply} and refuses, having started nothing, when a check fails.
 */
@WorkflowInterface
public interface RotationCheckWorkflow {
  /** Prefix of this workflow's ids; a random suffix makes each question its own execution. */
  String WORKFLOW_ID_PREFIX = "keyturn-check/";

  /** What the worker found for {@code request}; failures are in the answer, not thrown. */
  @WorkflowMethod
  RotationCheck check(RotationRequest request);
}
