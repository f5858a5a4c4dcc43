package io.keyturn.workflows;

import io.keyturn.workflows.model.FleetProgress;
import io.keyturn.workflows.model.FleetRequest;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Rotates many managed secrets: one {@link KeyRotationWorkflow} child per secret, a canary wave
 * first, then waves of {@code concurrency}; stops when a wave's failures cross the threshold.
 *
 * <p>Resuming: start the fleet again with the same workflow id. Child ids derive from the fleet's
 * workflow id, and a child whose rotation completed (or still runs) cannot be started again, so the
 * new run skips it and rotates only the members that failed or never started.
 */
@WorkflowInterface
public interface FleetRotationWorkflow {

  /** Fleet workflow ids start with this; the rest is the fleet id. */
  String ID_PREFIX = "fleet/";

  /**
   * Rotates the fleet. Completes (never fails) with the final progress: COMPLETED, or STOPPED
   * naming the members that failed.
   */
  @WorkflowMethod(name = "FleetRotation")
  FleetProgress rotateFleet(FleetRequest request);

  /** Counts, wave and every member's status. */
  @QueryMethod
  FleetProgress progress();

  static String workflowId(String fleetId) {
    return ID_PREFIX + fleetId;
  }

  /**
   * The rotation id of one member: {@code rotation/<secret-id>/fleet-<key>}, the key being the
   * fleet's workflow id without its prefix and with '/' as '-'. Same fleet id, same child ids.
   */
  static String childWorkflowId(String secretId, String fleetWorkflowId) {
    String key =
        fleetWorkflowId.startsWith(ID_PREFIX)
            ? fleetWorkflowId.substring(ID_PREFIX.length())
            : fleetWorkflowId;
    return "rotation/" + secretId + "/fleet-" + key.replace('/', '-');
  }
}
