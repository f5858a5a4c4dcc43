package io.keyturn.workflows;

import static io.keyturn.workflows.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.*;

import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.GraceChange;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.TestWorkflowExtension;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.mockito.InOrder;

/**
 * An operator's controls in the grace period: {@code rollback} (the old key back everywhere, the
 * new one deleted, nothing revoked) and {@code changeGrace} (the revoke moves with the new end),
 * each refused with nothing changed when it does not apply.
 */
class RollbackAndGraceChangeWorkflowTest {

  @RegisterExtension static final TestWorkflowExtension env = rotationWorkflowExtension();

  static final SealedSecret SEALED = new SealedSecret("k1", "e1", "n1", "c1");
  static final Destination FILE_D = new Destination("file", Map.of("path", "/srv/svc-a.env"));

  private final ActivityMocks mocks = ActivityMocks.create();
  private final LiteLlmActivities gateway = mocks.gateway();
  private final SecretStoreActivities store = mocks.store();

  @BeforeEach
  void stubs() {
    when(gateway.importPolicy(GATEWAY, OLD)).thenReturn(POLICY);
    when(gateway.mintKey(any())).thenReturn(minted(false));
    when(store.publishTo(any(), any())).thenReturn(receipt());
    when(gateway.deleteKey(eq(GATEWAY), eq(OLD))).thenReturn(true);
    when(gateway.confirmRevoked(eq(GATEWAY), eq(OLD), any(), anyBoolean())).thenReturn(revoked());
    when(gateway.discardDerivedKey(any())).thenReturn(true);
    when(store.putBackOldKey(any(), eq(OLD), eq(SEALED), anyString(), anyLong()))
        .thenReturn(new PublishReceipt(VAULT.describe(), 3, 2, true));
  }

  private KeyRotationWorkflow start(
      TestWorkflowEnvironment testEnv, Worker worker, RotationRequest req) {
    KeyRotationWorkflow wf = mocks.startWorker(testEnv, worker, "rotation/svc-a");
    WorkflowClient.start(wf::rotate, req);
    return wf;
  }

  private static RotationRequest sealed(Duration grace, Destination... ds) {
    return Fixtures.request("svc-a", grace)
        .generation(7)
        .requestedBy("test")
        .oldKey(OLD, SEALED)
        .destinations(ds.length == 0 ? new Destination[] {VAULT} : ds)
        .build();
  }

  private static ApplicationFailure refusal(Throwable t) {
    assertThat(t).isInstanceOf(WorkflowUpdateException.class);
    Throwable c = t.getCause();
    assertThat(c).isInstanceOf(ApplicationFailure.class);
    return (ApplicationFailure) c;
  }

  @Test
  void aRollbackInGracePutsTheOldKeyBackDeletesTheNewKeyAndNeverRevokes(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofDays(7), VAULT, FILE_D));
    testEnv.sleep(Duration.ofHours(1));
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.IN_GRACE);

    RotationStatus after = wf.rollback("client X breaks on the new key", "alice");

    assertThat(after.phase()).isEqualTo(RotationPhase.ROLLED_BACK);
    assertThat(after.message())
        .contains("rolled back at the request of alice (client X breaks on the new key)")
        .contains("hold the old key " + OLD.fingerprint())
        .contains("NOT revoked")
        .contains("(alias keyturn-svc-a-g7) was deleted");
    InOrder order = inOrder(gateway, store);
    order.verify(gateway).confirmUsable(GATEWAY, OLD, SEALED);
    order.verify(store).putBackOldKey(VAULT, OLD, SEALED, "rotation/svc-a", 7L);
    order.verify(store).putBackOldKey(FILE_D, OLD, SEALED, "rotation/svc-a", 7L);
    order.verify(gateway).discardDerivedKey(any());
    verify(gateway, never()).deleteKey(any(), any());
    verify(gateway, never()).confirmRevoked(any(), any(), any(), anyBoolean());

    assertThatThrownBy(() -> WorkflowStub.fromTyped(wf).getResult(RotationResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .satisfies(
            f -> {
              ApplicationFailure af = (ApplicationFailure) f;
              assertThat(af.getType()).isEqualTo(KeyRotationWorkflowImpl.ROLLED_BACK);
              assertThat(((ApplicationFailure) af.getCause()).getType())
                  .isEqualTo(KeyRotationWorkflowImpl.ROLLED_BACK_ON_REQUEST);
            });
    // Even after the grace period would have ended, nothing revokes the old key.
    testEnv.sleep(Duration.ofDays(8));
    verify(gateway, never()).deleteKey(any(), any());
  }

  @Test
  void aKeyValueInTheReasonIsMaskedInTheMessage(TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofDays(1)));
    testEnv.sleep(Duration.ofMinutes(5));
    RotationStatus after = wf.rollback("pasted sk-abcdef123456 by mistake", "bob");
    assertThat(after.message()).doesNotContain("sk-abcdef123456").contains("sk-…");
  }

  @Test
  void aRollbackPastTheGracePeriodIsRefusedWithNothingChanged(
      TestWorkflowEnvironment testEnv, Worker worker) {
    // The revoke keeps failing (retryably), so the rotation stays in REVOKING.
    when(gateway.deleteKey(eq(GATEWAY), eq(OLD)))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT));
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofHours(1)));
    testEnv.sleep(Duration.ofHours(1).plusMinutes(5));
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.REVOKING);

    assertThatThrownBy(() -> wf.rollback("too late", "alice"))
        .satisfies(
            t -> {
              ApplicationFailure f = refusal(t);
              assertThat(f.getOriginalMessage())
                  .contains("past its grace period (REVOKING)")
                  .contains("the old key " + OLD.fingerprint() + " is gone or being revoked")
                  .contains("Nothing was changed")
                  .contains("Rotate again instead");
            });
    verify(gateway, never()).confirmUsable(any(), any(), any());
    verify(store, never()).putBackOldKey(any(), any(), any(), any(), anyLong());
    verify(gateway, never()).discardDerivedKey(any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.REVOKING);
  }

  @Test
  void aRollbackAfterRevokeNowIsRefused(TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.deleteKey(eq(GATEWAY), eq(OLD)))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT));
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofDays(7)));
    testEnv.sleep(Duration.ofHours(1));
    wf.revokeNow("leaked");
    testEnv.sleep(Duration.ofSeconds(5));
    assertThatThrownBy(() -> wf.rollback("changed my mind", "alice"))
        .satisfies(t -> assertThat(refusal(t).getOriginalMessage()).contains("Rotate again"));
    verify(store, never()).putBackOldKey(any(), any(), any(), any(), anyLong());
  }

  @Test
  void aRollbackWithoutTheOldKeysValueIsRefusedBeforeAnythingChanges(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker, Fixtures.request(Duration.ofDays(1)));
    testEnv.sleep(Duration.ofHours(1));
    assertThatThrownBy(() -> wf.rollback("bad key", "alice"))
        .satisfies(
            t ->
                assertThat(refusal(t).getOriginalMessage())
                    .contains("token hash only (--key-hash)")
                    .contains("Nothing was changed"));
    verify(gateway, never()).confirmUsable(any(), any(), any());
    verify(store, never()).putBackOldKey(any(), any(), any(), any(), anyLong());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.IN_GRACE);
  }

  @Test
  void aRollbackWithoutAReasonIsRefused(TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofDays(1)));
    testEnv.sleep(Duration.ofHours(1));
    assertThatThrownBy(() -> wf.rollback("  ", "alice"))
        .satisfies(t -> assertThat(refusal(t).getOriginalMessage()).contains("--reason"));
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.IN_GRACE);
  }

  @Test
  void anOldKeyThatNoLongerWorksRefusesTheRollbackAndTheRotationGoesOn(
      TestWorkflowEnvironment testEnv, Worker worker) {
    doThrow(
            ApplicationFailure.newNonRetryableFailure(
                "LiteLLM refuses it on /v1/models (401)", RotationFailures.KEY_UNUSABLE))
        .when(gateway)
        .confirmUsable(any(), any(), any());
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofHours(2)));
    testEnv.sleep(Duration.ofHours(1));
    assertThatThrownBy(() -> wf.rollback("bad key", "alice"))
        .satisfies(
            t ->
                assertThat(refusal(t))
                    .extracting(ApplicationFailure::getType, ApplicationFailure::getOriginalMessage)
                    .satisfies(
                        l ->
                            assertThat(l.get(0))
                                .isEqualTo(KeyRotationWorkflowImpl.ROLLBACK_REFUSED))
                    .element(1)
                    .asString()
                    .contains("does not work at the proxy")
                    .contains("401")
                    .contains("Nothing was changed"));
    verify(store, never()).putBackOldKey(any(), any(), any(), any(), anyLong());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.IN_GRACE);

    RotationResult result = WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    assertThat(result.revoked().key()).isEqualTo(OLD);
    verify(gateway, never()).discardDerivedKey(any());
  }

  @Test
  void aPutBackThatFailsPublishesTheNewKeyAgainAndTheRotationGoesOn(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(store.putBackOldKey(eq(FILE_D), any(), any(), anyString(), anyLong()))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure(
                "permission denied", RotationFailures.STORE_DENIED));
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofHours(2), VAULT, FILE_D));
    testEnv.sleep(Duration.ofHours(1));
    assertThatThrownBy(() -> wf.rollback("bad key", "alice"))
        .satisfies(
            t ->
                assertThat(refusal(t).getOriginalMessage())
                    .contains("permission denied")
                    .contains("holds the new key " + NEW.fingerprint() + " again")
                    .contains("goes on in its grace period"));
    InOrder order = inOrder(store);
    order.verify(store).putBackOldKey(eq(VAULT), any(), any(), anyString(), anyLong());
    order.verify(store).putBackOldKey(eq(FILE_D), any(), any(), anyString(), anyLong());
    // The undo runs newest first: both destinations get the new key again, the file's first.
    order.verify(store).publishTo(eq(FILE_D), any());
    order.verify(store).publishTo(eq(VAULT), any());
    verify(gateway, never()).discardDerivedKey(any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.IN_GRACE);

    WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    verify(gateway).confirmRevoked(eq(GATEWAY), eq(OLD), any(), anyBoolean());
  }

  @Test
  void extendingTheGracePeriodMovesTheRevoke(TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofHours(1)));
    testEnv.sleep(Duration.ofMinutes(30));
    Instant before = Instant.parse(wf.status().graceEndsAt());

    RotationStatus s =
        wf.changeGrace(new GraceChange(GraceChange.Kind.EXTEND_BY, Duration.ofHours(48), "alice"));

    assertThat(Instant.parse(s.graceEndsAt())).isEqualTo(before.plus(Duration.ofHours(48)));
    assertThat(s.message()).contains("extended by 2d by alice").contains(before.toString());
    assertThat(wf.status().graceEndsAt()).isEqualTo(s.graceEndsAt());
    testEnv.sleep(Duration.ofHours(2));
    verify(gateway, never()).deleteKey(any(), any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.IN_GRACE);
    testEnv.sleep(Duration.ofHours(47));
    RotationResult result = WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    assertThat(result.revokedEarly()).isFalse();
    verify(gateway, times(1)).deleteKey(GATEWAY, OLD);
  }

  @Test
  void settingTheGracePeriodToEndSoonerShortensIt(TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofDays(30)));
    testEnv.sleep(Duration.ofHours(1));
    RotationStatus s =
        wf.changeGrace(new GraceChange(GraceChange.Kind.ENDS_IN, Duration.ofHours(2), "bob"));
    assertThat(s.message()).contains("set to end in 2h by bob");
    testEnv.sleep(Duration.ofMinutes(110));
    verify(gateway, never()).deleteKey(any(), any());
    testEnv.sleep(Duration.ofMinutes(20));
    verify(gateway, times(1)).deleteKey(GATEWAY, OLD);
    assertThat(WorkflowStub.fromTyped(wf).getResult(RotationResult.class).revokedEarly()).isFalse();
  }

  @Test
  void aGraceChangePastTheBoundOrNotPositiveIsRefusedWithNothingChanged(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofDays(30)));
    testEnv.sleep(Duration.ofHours(1));
    RotationStatus before = wf.status();

    assertThatThrownBy(
            () ->
                wf.changeGrace(
                    new GraceChange(GraceChange.Kind.EXTEND_BY, Duration.ofDays(61), "alice")))
        .satisfies(
            t -> {
              ApplicationFailure f = refusal(t);
              assertThat(f.getOriginalMessage())
                  .contains("past the bound: at most 90 days after the new key was published");
            });
    assertThatThrownBy(
            () ->
                wf.changeGrace(
                    new GraceChange(GraceChange.Kind.EXTEND_BY, Duration.ofHours(-2), "alice")))
        .satisfies(
            t ->
                assertThat(refusal(t).getOriginalMessage())
                    .contains("must be positive, got -2h")
                    .contains("revoke-now"));
    assertThatThrownBy(
            () -> wf.changeGrace(new GraceChange(GraceChange.Kind.ENDS_IN, Duration.ZERO, "a")))
        .satisfies(t -> assertThat(refusal(t).getOriginalMessage()).contains("got 0s"));
    assertThat(wf.status().graceEndsAt()).isEqualTo(before.graceEndsAt());
    assertThat(wf.status().message()).isEqualTo(before.message());

    // Exactly up to the bound is allowed: 90 days after the publish.
    RotationStatus s =
        wf.changeGrace(new GraceChange(GraceChange.Kind.EXTEND_BY, Duration.ofDays(60), "alice"));
    assertThat(Instant.parse(s.graceEndsAt()))
        .isEqualTo(Instant.parse(before.graceEndsAt()).plus(Duration.ofDays(60)));
  }

  @Test
  void aGraceChangeAfterTheGracePeriodIsRefused(TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.deleteKey(eq(GATEWAY), eq(OLD)))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT));
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofHours(1)));
    testEnv.sleep(Duration.ofHours(2));
    assertThatThrownBy(
            () ->
                wf.changeGrace(
                    new GraceChange(GraceChange.Kind.EXTEND_BY, Duration.ofHours(1), "alice")))
        .satisfies(
            t ->
                assertThat(refusal(t).getOriginalMessage())
                    .contains("is REVOKING")
                    .contains("grace period is over"));
  }

  @Test
  void historiesWithARollbackAndGraceChangesReplay(TestWorkflowEnvironment testEnv, Worker worker)
      throws Exception {
    KeyRotationWorkflow wf = start(testEnv, worker, sealed(Duration.ofDays(2), VAULT, FILE_D));
    testEnv.sleep(Duration.ofHours(1));
    wf.changeGrace(new GraceChange(GraceChange.Kind.EXTEND_BY, Duration.ofDays(1), "alice"));
    assertThatThrownBy(
        () -> wf.changeGrace(new GraceChange(GraceChange.Kind.ENDS_IN, Duration.ZERO, "alice")));
    wf.changeGrace(new GraceChange(GraceChange.Kind.ENDS_IN, Duration.ofHours(5), "bob"));
    testEnv.sleep(Duration.ofHours(1));
    wf.rollback("bad key", "alice");
    assertThatThrownBy(() -> WorkflowStub.fromTyped(wf).getResult(RotationResult.class))
        .isInstanceOf(WorkflowFailedException.class);
    io.temporal.testing.WorkflowReplayer.replayWorkflowExecution(
        testEnv.getWorkflowClient().fetchHistory("rotation/svc-a"), KeyRotationWorkflowImpl.class);
  }
}
