package io.keyturn.workflows;

import io.keyturn.workflows.model.SecretDrift;
import io.keyturn.workflows.model.SecretTargets;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;
import java.util.List;

/**
 * Checks secrets for drift on the worker, with its credentials: {@code keyturn drift} starts one,
 * and so does the drift schedule; {@code keyturn list} shows the newest answer per secret. Reports,
 * never fixes. Runs on the rotation task queue.
 */
@WorkflowInterface
public interface DriftCheckWorkflow {
  /** Prefix of this workflow's ids; a random or scheduled suffix makes each check its own. */
  String WORKFLOW_ID_PREFIX = "keyturn-drift/";

  /** The workflow type name, for visibility queries. */
  String TYPE = "DriftCheck";

  /** One answer per secret, in the order given. */
  @WorkflowMethod(name = TYPE)
  List<SecretDrift> check(List<SecretTargets> secrets);
}
