package io.keyturn.workflows;

import static io.keyturn.workflows.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.*;

import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.TestWorkflowExtension;
import io.temporal.worker.Worker;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mockito.InOrder;

/**
 * Rotating the worker's own management key: the new key is proven with the gateway check, and the
 * old one is revoked only once the worker reads the new one.
 */
class ManagementKeyRotationWorkflowTest {

  @RegisterExtension static final TestWorkflowExtension env = rotationWorkflowExtension();

  private final ActivityMocks mocks = ActivityMocks.succeeding();
  private final LiteLlmActivities gateway = mocks.gateway();

  private KeyRotationWorkflow start(TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = mocks.startWorker(testEnv, worker, "rotation/svc-a/7");
    WorkflowClient.start(
        wf::rotate,
        request("svc-a", Duration.ofMinutes(1))
            .generation(7)
            .requestedBy("test")
            .managementKey(true)
            .build());
    return wf;
  }

  @Test
  void theOldKeyIsRevokedOnlyOnceTheWorkerReadsTheNewOne(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.managementKeyInUse(GATEWAY)).thenReturn(OLD, OLD, NEW);
    KeyRotationWorkflow wf = start(testEnv, worker);
    RotationResult result = WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    assertThat(result.newKey()).isEqualTo(NEW);

    InOrder order = inOrder(gateway, mocks.store());
    order.verify(gateway).mintKey(any());
    order.verify(gateway).verifyManagementKey(eq(GATEWAY), any());
    order.verify(mocks.store()).publishTo(eq(VAULT), any());
    order.verify(gateway, times(3)).managementKeyInUse(GATEWAY);
    order.verify(gateway).deleteKey(GATEWAY, OLD);
    verify(gateway, never()).verifyKey(any(), any(), any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.COMPLETED);
  }

  @Test
  void aWorkerThatNeverReadsTheNewKeyFailsTheRotationWithoutRevokingAnything(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.managementKeyInUse(GATEWAY)).thenReturn(OLD);
    KeyRotationWorkflow wf = start(testEnv, worker);
    assertThatThrownBy(() -> WorkflowStub.fromTyped(wf).getResult(RotationResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .isInstanceOf(ApplicationFailure.class)
        .hasMessageContaining("still uses " + OLD.fingerprint())
        .hasMessageContaining("Nothing was revoked");
    verify(gateway, never()).deleteKey(any(), any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.FAILED);
  }

  @Test
  void anOrdinaryRotationNeverAsksWhichManagementKeyTheWorkerUses(
      TestWorkflowEnvironment testEnv, Worker worker) {
    worker.registerActivitiesImplementations(gateway, mocks.store());
    testEnv.start();
    testEnv
        .getWorkflowClient()
        .newWorkflowStub(
            KeyRotationWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId("rotation/svc-a/7")
                .setTaskQueue(worker.getTaskQueue())
                .build())
        .rotate(request(Duration.ofMinutes(1)));
    verify(gateway, never()).managementKeyInUse(any());
    verify(gateway, never()).verifyManagementKey(any(), any());
  }
}
