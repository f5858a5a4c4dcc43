package io.keyturn.workflows;

import static io.keyturn.workflows.Fixtures.*;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.*;

import io.temporal.client.WorkflowOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.WorkflowReplayer;
import io.temporal.worker.Worker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Replays saved histories of every released workflow shape against today's code: a change that
 * would break running rotations (non-determinism) fails here. To record a new shape run with {@code
 * -Dkeyturn.recordHistories=true} and commit the files under src/test/resources/histories.
 */
class KeyRotationReplayTest {

  private static final String[] HISTORIES = {
    "histories/rotation-completed-v1.json", "histories/rotation-rolled-back-v1.json"
  };

  @Test
  void savedHistoriesReplayAgainstTheCurrentWorkflow() throws Exception {
    if (Boolean.getBoolean("keyturn.recordHistories")) {
      record();
    }
    for (String h : HISTORIES) {
      String json =
          new String(
              Objects.requireNonNull(getClass().getClassLoader().getResourceAsStream(h), h)
                  .readAllBytes(),
              StandardCharsets.UTF_8);
      WorkflowReplayer.replayWorkflowExecution(json, KeyRotationWorkflowImpl.class);
    }
  }

  private void record() throws Exception {
    recordOne("histories/rotation-completed-v1.json", false);
    recordOne("histories/rotation-rolled-back-v1.json", true);
  }

  private void recordOne(String file, boolean failVerify) throws Exception {
    try (TestWorkflowEnvironment env = TestWorkflowEnvironment.newInstance()) {
      Worker worker = env.newWorker(KeyRotationWorkflow.TASK_QUEUE);
      worker.registerWorkflowImplementationTypes(KeyRotationWorkflowImpl.class);
      LiteLlmActivities gateway =
          mock(LiteLlmActivities.class, withSettings().withoutAnnotations());
      SecretStoreActivities store =
          mock(SecretStoreActivities.class, withSettings().withoutAnnotations());
      when(gateway.importPolicy(any(), any())).thenReturn(POLICY);
      when(gateway.mintKey(any())).thenReturn(minted(false));
      when(store.publishKey(any(), any())).thenReturn(receipt());
      when(gateway.revokeKey(any(), any(), any())).thenReturn(revoked());
      when(gateway.deleteKey(any(), any())).thenReturn(true);
      if (failVerify) {
        doThrow(
                io.temporal.failure.ApplicationFailure.newNonRetryableFailure(
                    "no models", RotationFailures.VERIFY_FAILED))
            .when(gateway)
            .verifyKey(any(), any(), eq(POLICY));
      }
      worker.registerActivitiesImplementations(gateway, store);
      env.start();
      KeyRotationWorkflow wf =
          env.getWorkflowClient()
              .newWorkflowStub(
                  KeyRotationWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setWorkflowId("rotation/svc-a/7")
                      .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                      .build());
      try {
        wf.rotate(request(Duration.ofHours(24)));
      } catch (RuntimeException expected) {
        // the rolled-back shape ends in a failure
      }
      String json = env.getWorkflowClient().fetchHistory("rotation/svc-a/7").toJson(true);
      Path out = Path.of("src/test/resources", file);
      Files.createDirectories(out.getParent());
      Files.writeString(out, json);
    }
  }
}
