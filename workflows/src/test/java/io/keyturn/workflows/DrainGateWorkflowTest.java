package io.keyturn.workflows;

import static io.keyturn.workflows.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.*;

import io.keyturn.workflows.model.DrainPolicy;
import io.keyturn.workflows.model.KeyUse;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.TestWorkflowExtension;
import io.temporal.worker.Worker;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mockito.InOrder;

/**
 * The drain gate at the end of grace: a revoke held while the old key carries traffic, released
 * when it stops, by the hold's limit, or by revoke-now.
 */
class DrainGateWorkflowTest {

  @RegisterExtension static final TestWorkflowExtension env = rotationWorkflowExtension();

  private static final Duration GRACE = Duration.ofHours(1);
  private static final KeyUse USED = new KeyUse(OLD, "2026-01-01T00:00:00Z", 30, true);
  private static final KeyUse QUIET = new KeyUse(OLD, "2026-01-01T00:00:00Z", 3600, false);

  private final ActivityMocks mocks = ActivityMocks.succeeding();
  private final LiteLlmActivities gateway = mocks.gateway();

  @BeforeEach
  void stubs() {
    when(gateway.deleteKey(eq(GATEWAY), eq(OLD))).thenReturn(true);
  }

  private KeyRotationWorkflow start(
      TestWorkflowEnvironment testEnv, Worker worker, DrainPolicy drain) {
    KeyRotationWorkflow wf = mocks.startWorker(testEnv, worker, "rotation/svc-a/7");
    WorkflowClient.start(
        wf::rotate, request("svc-a", GRACE).generation(7).requestedBy("test").drain(drain).build());
    return wf;
  }

  private static DrainPolicy policy(Duration maxHold, DrainPolicy.OnLimit onLimit) {
    return new DrainPolicy(Duration.ofMinutes(15), Duration.ofMinutes(5), maxHold, onLimit);
  }

  @Test
  void holdsTheRevokeWhileTheOldKeyIsUsedAndReleasesItWhenTrafficStops(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.keyUse(any(), any(), any())).thenReturn(USED, USED, USED, QUIET);
    KeyRotationWorkflow wf =
        start(testEnv, worker, policy(Duration.ofHours(24), DrainPolicy.OnLimit.REVOKE));

    testEnv.sleep(GRACE.plusMinutes(1));
    RotationStatus held = wf.status();
    assertThat(held.phase()).isEqualTo(RotationPhase.REVOKE_HELD);
    assertThat(held.message()).contains("REVOKE HELD").contains(OLD.fingerprint());
    assertThat(
            WorkflowStub.fromTyped(wf)
                .describe()
                .getTypedSearchAttributes()
                .get(KeyturnSearchAttributes.PHASE))
        .isEqualTo("REVOKE_HELD");
    verify(gateway, never()).deleteKey(any(), any());

    RotationResult result = WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    assertThat(result.revokedEarly()).isFalse();
    InOrder order = inOrder(gateway);
    order.verify(gateway, times(4)).keyUse(GATEWAY, OLD, Duration.ofMinutes(15));
    order.verify(gateway).deleteKey(GATEWAY, OLD);
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.COMPLETED);
    assertThat(wf.status().message()).contains("held revoke was released");
  }

  /**
   * With a grace of zero the grace phase is not written (it passes inside a workflow task), but a
   * read of the old key's use that falls back to an activity may wait there: it writes the phase
   * first, so the rotation is not shown as still publishing.
   */
  @Test
  void aUseReadThatFallsBackShowsTheGracePhaseFirst(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.keyUse(any(), any(), any()))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT))
        .thenReturn(QUIET);
    KeyRotationWorkflow wf = mocks.startWorker(testEnv, worker, "rotation/svc-a/7");
    WorkflowClient.start(
        wf::rotate,
        request("svc-a", Duration.ZERO)
            .generation(7)
            .requestedBy("test")
            .drain(policy(Duration.ofHours(24), DrainPolicy.OnLimit.REVOKE))
            .build());
    WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    java.util.List<String> steps =
        testEnv.getWorkflowClient().fetchHistory("rotation/svc-a/7").getEvents().stream()
            .filter(
                e ->
                    e.hasActivityTaskScheduledEventAttributes()
                        || e.hasUpsertWorkflowSearchAttributesEventAttributes())
            .map(
                e ->
                    e.hasActivityTaskScheduledEventAttributes()
                        ? e.getActivityTaskScheduledEventAttributes().getActivityType().getName()
                        : e.getUpsertWorkflowSearchAttributesEventAttributes()
                            .getSearchAttributes()
                            .getIndexedFieldsOrThrow(KeyturnSearchAttributes.PHASE.getName())
                            .getData()
                            .toStringUtf8())
            .toList();
    assertThat(steps).containsSubsequence("PublishTo", "\"IN_GRACE\"", "KeyUse");
  }

  @Test
  void aKeyUnusedWhenGraceEndsIsRevokedAtOnce(TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.keyUse(any(), any(), any())).thenReturn(QUIET);
    KeyRotationWorkflow wf =
        start(testEnv, worker, policy(Duration.ofHours(24), DrainPolicy.OnLimit.REVOKE));
    WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    verify(gateway, times(1)).keyUse(any(), any(), any());
    verify(gateway).deleteKey(GATEWAY, OLD);
    assertThat(wf.status().message()).doesNotContain("held");
  }

  @Test
  void atTheHoldsLimitTheRevokePolicyRevokesAKeyStillInUse(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.keyUse(any(), any(), any())).thenReturn(USED);
    KeyRotationWorkflow wf =
        start(testEnv, worker, policy(Duration.ofHours(2), DrainPolicy.OnLimit.REVOKE));

    testEnv.sleep(GRACE.plusMinutes(110));
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.REVOKE_HELD);
    verify(gateway, never()).deleteKey(any(), any());

    WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    verify(gateway).deleteKey(GATEWAY, OLD);
    // One check when grace ended, then one every 5 minutes for the 2 hours of the hold.
    verify(gateway, times(1 + 24)).keyUse(any(), any(), any());
    assertThat(wf.status().message()).contains("revoked while still in use").contains("2h limit");
  }

  @Test
  void atTheHoldsLimitTheWaitPolicyWaitsForAnOperatorsRevokeNow(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.keyUse(any(), any(), any())).thenReturn(USED);
    KeyRotationWorkflow wf =
        start(testEnv, worker, policy(Duration.ofHours(2), DrainPolicy.OnLimit.WAIT));

    testEnv.sleep(GRACE.plusHours(26));
    RotationStatus waiting = wf.status();
    assertThat(waiting.phase()).isEqualTo(RotationPhase.REVOKE_HELD);
    assertThat(waiting.message()).contains("WAITING FOR AN OPERATOR").contains("revoke-now");
    verify(gateway, never()).deleteKey(any(), any());

    wf.revokeNow("the batch job is retired");
    WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    verify(gateway).deleteKey(GATEWAY, OLD);
    assertThat(wf.status().message()).contains("released by revoke-now");
  }

  @Test
  void revokeNowReleasesAHoldAtOnce(TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.keyUse(any(), any(), any())).thenReturn(USED);
    KeyRotationWorkflow wf =
        start(testEnv, worker, policy(Duration.ofHours(24), DrainPolicy.OnLimit.REVOKE));
    testEnv.sleep(GRACE.plusMinutes(1));
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.REVOKE_HELD);

    wf.revokeNow("leaked");
    WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    verify(gateway, times(1)).keyUse(any(), any(), any());
    verify(gateway).deleteKey(GATEWAY, OLD);
  }

  @Test
  void revokeNowDuringGraceSkipsTheGate(TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.keyUse(any(), any(), any())).thenReturn(USED);
    KeyRotationWorkflow wf =
        start(testEnv, worker, policy(Duration.ofHours(24), DrainPolicy.OnLimit.REVOKE));
    testEnv.sleep(Duration.ofMinutes(10));
    wf.revokeNow("leaked");
    WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    verify(gateway, never()).keyUse(any(), any(), any());
    verify(gateway).deleteKey(GATEWAY, OLD);
  }

  @Test
  void aGateTurnedOffNeverAsks(TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.keyUse(any(), any(), any())).thenReturn(USED);
    KeyRotationWorkflow wf = start(testEnv, worker, DrainPolicy.OFF);
    WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    verify(gateway, never()).keyUse(any(), any(), any());
    verify(gateway).deleteKey(GATEWAY, OLD);
  }

  @Test
  void aUseThatCannotBeReadLetsTheRevokeGoAheadAndSaysSo(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.keyUse(any(), any(), any()))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure(
                "proxy says 403", RotationFailures.GATEWAY_FORBIDDEN));
    KeyRotationWorkflow wf =
        start(testEnv, worker, policy(Duration.ofHours(24), DrainPolicy.OnLimit.WAIT));
    WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    verify(gateway).deleteKey(GATEWAY, OLD);
    assertThat(wf.status().message()).contains("could not be read");
  }
}
