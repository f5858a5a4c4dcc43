package io.keyturn.workflows;

import static io.keyturn.workflows.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.*;

import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.TestWorkflowExtension;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mockito.InOrder;

/**
 * Emergency rotation of a leaked key ({@link EmergencyRotation}): blocked first, no grace, never
 * unblocked; and the takeover of a routine rotation in its grace period.
 */
class EmergencyRotationWorkflowTest {

  @RegisterExtension static final TestWorkflowExtension env = rotationWorkflowExtension();

  private final ActivityMocks mocks = ActivityMocks.succeeding();
  private final LiteLlmActivities gateway = mocks.gateway();
  private final SecretStoreActivities store = mocks.store();

  @BeforeEach
  void stubs() {
    when(gateway.blockKey(GATEWAY, OLD)).thenReturn(true);
    when(gateway.deleteKey(GATEWAY, OLD)).thenReturn(true);
    when(store.restoreAt(eq(VAULT), any())).thenReturn("restored v1.");
  }

  private static RotationRequest emergency() {
    return request("svc-a", Duration.ofDays(7))
        .generation(7)
        .requestedBy("keyturn leaked (alice)")
        .emergency(true)
        .build();
  }

  private KeyRotationWorkflow start(TestWorkflowEnvironment testEnv, Worker worker) {
    return mocks.startWorker(testEnv, worker, "rotation/svc-a");
  }

  @Test
  void blocksTheLeakedKeyBeforeMintingAndDeletesItRightAfterPublishWithoutGrace(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker);

    RotationResult result = wf.rotate(emergency());

    // The request's 7 days of grace are not waited: no timer at all, and the run's own history
    // spans well under an hour. (Measured on the history, not the test server's clock: after the
    // run completes, time skipping may jump to a leftover activity timeout before the result is
    // delivered, as it does on the protobuf 4 runtime.)
    var events = testEnv.getWorkflowClient().fetchHistory("rotation/svc-a").getEvents();
    assertThat(
            events.get(events.size() - 1).getEventTime().getSeconds()
                - events.get(0).getEventTime().getSeconds())
        .isLessThan(Duration.ofHours(1).toSeconds());
    assertThat(testEnv.getWorkflowClient().fetchHistory("rotation/svc-a").getEvents())
        .noneMatch(
            ev -> ev.getEventType() == io.temporal.api.enums.v1.EventType.EVENT_TYPE_TIMER_STARTED);
    InOrder order = inOrder(gateway, store);
    order.verify(store).checkDestination(VAULT);
    order.verify(gateway).importPolicy(GATEWAY, OLD);
    order.verify(gateway).blockKey(GATEWAY, OLD);
    order.verify(gateway).mintKey(any());
    order.verify(gateway).verifyKey(eq(GATEWAY), any(), any());
    order.verify(store).publishTo(eq(VAULT), any());
    order.verify(gateway).deleteKey(GATEWAY, OLD);
    order.verify(gateway).confirmRevoked(eq(GATEWAY), eq(OLD), any(), eq(true));
    verify(gateway, never()).discardDerivedKey(any());

    assertThat(result.emergency()).isNotNull();
    assertThat(result.emergency().requestedBy()).isEqualTo("keyturn leaked (alice)");
    assertThat(result.emergency().leakedKey()).isEqualTo(OLD);
    assertThat(result.emergency().alreadyBlocked()).isFalse();
    assertThat(result.emergency().blockedAtMillis()).isPositive();
    assertThat(result.emergency().publishedAtMillis())
        .isGreaterThanOrEqualTo(result.emergency().blockedAtMillis());
    assertThat(result.revokedEarly()).isFalse();
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.COMPLETED);
    assertThat(wf.status().message()).startsWith("EMERGENCY done:").contains("ms before");
  }

  @Test
  void aKeyAlreadyBlockedCountsAsBlockedAndItsBlockIsNotCopiedToTheNewKey(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.blockKey(GATEWAY, OLD)).thenReturn(false);
    // A blocked key's /key/info says so (LiteLLM 1.106: status "revoked").
    when(gateway.importPolicy(GATEWAY, OLD))
        .thenReturn(
            new KeyPolicy(
                Map.of("models", List.of("gpt-4o-mini"), "blocked", true, "status", "revoked")));
    KeyRotationWorkflow wf = start(testEnv, worker);

    RotationResult result = wf.rotate(emergency());

    assertThat(result.emergency().alreadyBlocked()).isTrue();
    verify(gateway)
        .mintKey(
            argThat(
                (MintRequest m) ->
                    !m.policy().fields().containsKey("blocked")
                        && !m.policy().fields().containsKey("status")
                        && m.policy().models().equals(List.of("gpt-4o-mini"))));
    verify(gateway).deleteKey(GATEWAY, OLD);
  }

  @Test
  void aFailureAfterTheBlockRollsBackTheNewKeyAndLeavesTheLeakedKeyBlocked(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(store.publishTo(any(), any()))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure(
                "Vault refused the token", RotationFailures.VAULT_DENIED));
    KeyRotationWorkflow wf = start(testEnv, worker);

    assertThatThrownBy(() -> wf.rotate(emergency()))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .hasMessageContaining("Vault refused the token");
    InOrder order = inOrder(gateway, store);
    order.verify(gateway).blockKey(GATEWAY, OLD);
    order.verify(gateway).mintKey(any());
    order.verify(store).restoreAt(eq(VAULT), any());
    order.verify(gateway).discardDerivedKey(any());
    verify(gateway, never()).deleteKey(any(), any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.ROLLED_BACK);
    assertThat(wf.status().message())
        .startsWith("EMERGENCY rotation of svc-a g7 failed while publishing")
        .contains("stays BLOCKED")
        .contains("keyturn leaked svc-a")
        .doesNotContain("still works");
  }

  @Test
  void aLeakedKeyThatDoesNotExistIsNeverBlocked(TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.importPolicy(GATEWAY, OLD))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure(
                "the key to replace does not exist", RotationFailures.OLD_KEY_NOT_FOUND));
    KeyRotationWorkflow wf = start(testEnv, worker);

    assertThatThrownBy(() -> wf.rotate(emergency())).isInstanceOf(WorkflowFailedException.class);
    verify(gateway, never()).blockKey(any(), any());
    verify(gateway, never()).mintKey(any());
    assertThat(wf.status().message()).contains("Nothing was blocked or minted");
  }

  @Test
  void aRoutineRotationCancelledInGraceByATakeoverDeletesItsOldKey(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker);
    WorkflowClient.start(wf::rotate, request(Duration.ofDays(7)));
    testEnv.sleep(Duration.ofHours(1));
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.IN_GRACE);
    verify(gateway, never()).deleteKey(any(), any());

    WorkflowStub stub = WorkflowStub.fromTyped(wf);
    stub.cancel(EmergencyRotation.takeoverReason("keyturn leaked (alice)"));

    assertThatThrownBy(() -> stub.getResult(RotationResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    verify(gateway).deleteKey(GATEWAY, OLD);
    verify(gateway).confirmRevoked(eq(GATEWAY), eq(OLD), any(), anyBoolean());
    verify(gateway, never()).discardDerivedKey(any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.FAILED);
    assertThat(wf.status().message())
        .contains("cancelled while in_grace")
        .contains("keyturn emergency takeover")
        .contains("does not honour grace")
        .contains(OLD.fingerprint() + " was deleted now")
        .contains(NEW.fingerprint());
  }

  @Test
  void anyOtherCancelInGraceKeepsBothKeysAndSaysSo(TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker);
    WorkflowClient.start(wf::rotate, request(Duration.ofDays(7)));
    testEnv.sleep(Duration.ofHours(1));

    WorkflowStub stub = WorkflowStub.fromTyped(wf);
    stub.cancel("changed my mind");

    assertThatThrownBy(() -> stub.getResult(RotationResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .hasCauseInstanceOf(CanceledFailure.class);
    verify(gateway, never()).deleteKey(any(), any());
    verify(gateway, never()).discardDerivedKey(any());
    assertThat(wf.status().message())
        .contains("cancelled while in_grace (changed my mind)")
        .contains("The new key " + NEW.fingerprint() + " is published to")
        .contains("The old key " + OLD.fingerprint() + " was NOT revoked and STILL WORKS");
  }

  @Test
  void aRoutineRotationCancelledBeforePublishRollsBackItsOwnKey(
      TestWorkflowEnvironment testEnv, Worker worker) {
    // Verify keeps failing (the proxy is down) until the takeover's cancel reaches it.
    doThrow(ApplicationFailure.newFailure("proxy down (retrying)", RotationFailures.TRANSIENT))
        .when(gateway)
        .verifyKey(any(), any(), any());
    KeyRotationWorkflow wf = start(testEnv, worker);
    WorkflowClient.start(wf::rotate, request(Duration.ofDays(7)));
    WorkflowStub stub = WorkflowStub.fromTyped(wf);
    while (wf.status().phase() != RotationPhase.VERIFYING) {
      testEnv.sleep(Duration.ofSeconds(1));
    }
    stub.cancel(EmergencyRotation.takeoverReason("keyturn leaked (alice)"));

    assertThatThrownBy(() -> stub.getResult(RotationResult.class))
        .isInstanceOf(WorkflowFailedException.class);
    verify(gateway).discardDerivedKey(any());
    verify(gateway, never()).deleteKey(any(), any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.ROLLED_BACK);
    assertThat(wf.status().message())
        .contains("failed while verifying: it was cancelled (keyturn emergency takeover")
        .contains("(alias keyturn-svc-a-g7) was deleted")
        .contains("NOT revoked and still works");
  }
}
