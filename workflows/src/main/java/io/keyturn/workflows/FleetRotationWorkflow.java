package io.keyturn.workflows;

import io.keyturn.workflows.model.FleetProgress;
import io.keyturn.workflows.model.FleetRequest;
import io.temporal.workflow.QueryMethod;
import io.temporal.workflow.SignalMethod;
import io.temporal.workflow.WorkflowInterface;
import io.temporal.workflow.WorkflowMethod;

/**
 * Rotates many managed secrets: one {@link KeyRotationWorkflow} child per secret, a canary wave
 * first, then waves of {@code concurrency}, at most that many rotations in flight; a wave's
 * successors start as soon as it can no longer cross the failure threshold; stops when a wave's
 * failures cross it.
 *
 * <p>A rotation is in flight until it has published its new key everywhere (the child says so with
 * {@link #memberPublished}) or has closed. The fleet does not wait out grace periods: each rotation
 * revokes its own old key when its grace ends, fleet or no fleet.
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

  /**
   * Sent by a member's rotation when its new key is verified and published to every destination and
   * its grace period begins. Idempotent; unknown ids are ignored.
   *
   * @param rotationWorkflowId the member rotation's workflow id
   */
  @SignalMethod(name = "memberPublished")
  void memberPublished(String rotationWorkflowId);

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
