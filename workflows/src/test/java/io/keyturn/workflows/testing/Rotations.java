package io.keyturn.workflows.testing;

import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;

/** Starting and following a rotation from a test, the way the CLI does: by its request. */
public final class Rotations {
  private Rotations() {}

  /** A stub of {@code req}'s rotation ({@link RotationRequest#workflowId()}) on its task queue. */
  public static KeyRotationWorkflow stub(WorkflowClient client, RotationRequest req) {
    return client.newWorkflowStub(
        KeyRotationWorkflow.class,
        WorkflowOptions.newBuilder()
            .setWorkflowId(req.workflowId())
            .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
            .build());
  }

  /** Starts {@code req}'s rotation without waiting for it; returns its stub. */
  public static KeyRotationWorkflow start(WorkflowClient client, RotationRequest req) {
    KeyRotationWorkflow wf = stub(client, req);
    WorkflowClient.start(wf::rotate, req);
    return wf;
  }

  /** Polls the rotation's status for up to 10 s; whether it reached {@code phase}. */
  public static boolean reaches(KeyRotationWorkflow wf, RotationPhase phase)
      throws InterruptedException {
    for (int i = 0; i < 200; i++) {
      try {
        if (wf.status().phase() == phase) {
          return true;
        }
      } catch (RuntimeException e) {
        // no first workflow task yet
      }
      Thread.sleep(50);
    }
    return false;
  }
}
