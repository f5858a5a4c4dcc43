package io.keyturn.workflows;

import static io.keyturn.workflows.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.*;

import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
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

class KeyRotationWorkflowTest {

  @RegisterExtension static final TestWorkflowExtension env = rotationWorkflowExtension();

  // Fresh mocks for each test: JUnit makes a new instance of the class per test.
  private final ActivityMocks mocks = ActivityMocks.create();
  private final LiteLlmActivities gateway = mocks.gateway();
  private final SecretStoreActivities store = mocks.store();

  @BeforeEach
  void stubs() {
    when(gateway.importPolicy(GATEWAY, OLD)).thenReturn(POLICY);
    when(gateway.mintKey(any())).thenReturn(minted(false));
    when(store.publishTo(eq(VAULT), any())).thenReturn(receipt());
    when(gateway.deleteKey(eq(GATEWAY), eq(OLD))).thenReturn(true);
    when(gateway.confirmRevoked(eq(GATEWAY), eq(OLD), any(), anyBoolean())).thenReturn(revoked());
    when(gateway.discardDerivedKey(any())).thenReturn(true);
    when(store.restoreAt(eq(VAULT), any())).thenReturn("restored v1.");
  }

  private KeyRotationWorkflow start(TestWorkflowEnvironment testEnv, Worker worker) {
    return mocks.startWorker(testEnv, worker, "rotation/svc-a/7");
  }

  @Test
  void revokesTheOldKeyOnlyAfterTheGracePeriodAndExactlyOnce(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker);
    WorkflowClient.start(wf::rotate, request(Duration.ofDays(7)));

    testEnv.sleep(Duration.ofDays(6).plusHours(23));
    verify(gateway, never()).deleteKey(any(), any());
    RotationStatus mid = wf.status();
    assertThat(mid.phase()).isEqualTo(RotationPhase.IN_GRACE);
    assertThat(mid.oldKey()).isEqualTo(OLD.fingerprint());
    assertThat(mid.newKey()).isEqualTo(NEW.fingerprint());
    assertThat(mid.graceEndsAt()).isNotNull();

    RotationResult result = WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    assertThat(result.newKey()).isEqualTo(NEW);
    assertThat(result.revokedEarly()).isFalse();
    InOrder order = inOrder(gateway, store);
    order.verify(gateway).importPolicy(GATEWAY, OLD);
    order.verify(gateway).mintKey(any());
    order.verify(gateway).verifyKey(eq(GATEWAY), any(), eq(POLICY));
    order.verify(store).publishTo(eq(VAULT), any());
    order.verify(gateway, times(1)).confirmRevoked(eq(GATEWAY), eq(OLD), any(), anyBoolean());
    verify(gateway, never()).discardDerivedKey(any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.COMPLETED);
  }

  @Test
  void mintCarriesTheVersionedAliasPolicyAndLineage(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker);
    wf.rotate(request(Duration.ZERO));
    verify(gateway)
        .mintKey(
            argThat(
                (MintRequest m) ->
                    m.alias().equals("keyturn-svc-a-g7")
                        && m.policy().equals(POLICY)
                        && m.replaces().equals(OLD)
                        && m.derivation().workflowId().equals("rotation/svc-a/7")));
  }

  /**
   * The short steps before publish run as local activities: markers, not scheduled activities, and
   * the phase search attribute is written only where a rotation can rest (publishing, revoking,
   * completed with grace 0), the first write carrying the rotation's identity.
   */
  @Test
  void shortStepsAreLocalActivitiesAndPhasesAreWrittenWhereARotationRests(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker);
    wf.rotate(request(Duration.ZERO));
    var events =
        testEnv
            .getWorkflowClient()
            .fetchHistory(WorkflowStub.fromTyped(wf).getExecution().getWorkflowId())
            .getEvents();
    java.util.List<String> scheduled =
        events.stream()
            .filter(e -> e.hasActivityTaskScheduledEventAttributes())
            .map(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName())
            .toList();
    assertThat(scheduled).containsExactly("PublishTo", "DeleteKey");
    assertThat(events.stream().filter(e -> e.hasMarkerRecordedEventAttributes()).count())
        .as("check destination, import, mint, verify, drain gate's read of use, revoke's proof")
        .isEqualTo(6);
    java.util.List<String> phases =
        events.stream()
            .filter(e -> e.hasUpsertWorkflowSearchAttributesEventAttributes())
            .map(
                e ->
                    e.getUpsertWorkflowSearchAttributesEventAttributes()
                        .getSearchAttributes()
                        .getIndexedFieldsOrThrow(KeyturnSearchAttributes.PHASE.getName())
                        .getData()
                        .toStringUtf8())
            .toList();
    assertThat(phases).containsExactly("\"PUBLISHING\"", "\"REVOKING\"", "\"COMPLETED\"");
    assertThat(
            events.stream()
                .filter(e -> e.hasUpsertWorkflowSearchAttributesEventAttributes())
                .findFirst()
                .orElseThrow()
                .getUpsertWorkflowSearchAttributesEventAttributes()
                .getSearchAttributes()
                .getIndexedFieldsMap())
        .containsKeys(
            KeyturnSearchAttributes.SECRET_ID.getName(),
            KeyturnSearchAttributes.GATEWAY.getName(),
            KeyturnSearchAttributes.GENERATION.getName());
    assertThat(events.size())
        .as(
            "history events per rotation (issue 21: at most 30): %s",
            events.stream().map(e -> e.getEventType().name().substring(11)).toList())
        .isLessThanOrEqualTo(30);
  }

  /**
   * A local step that keeps failing retryably is not retried in the worker for long: after its
   * local attempts it runs as a normal activity, which retries (cancellably) until it succeeds.
   */
  @Test
  void aMintThatFailsLocallyIsRetriedAsAnActivityAndAdoptsItsKey(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.mintKey(any()))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT))
        .thenReturn(minted(true));
    KeyRotationWorkflow wf = start(testEnv, worker);
    RotationResult result = wf.rotate(request(Duration.ZERO));
    assertThat(result.newKey()).isEqualTo(NEW);
    verify(gateway, times(5)).mintKey(any());
    java.util.List<String> scheduled =
        testEnv
            .getWorkflowClient()
            .fetchHistory(WorkflowStub.fromTyped(wf).getExecution().getWorkflowId())
            .getEvents()
            .stream()
            .filter(e -> e.hasActivityTaskScheduledEventAttributes())
            .map(e -> e.getActivityTaskScheduledEventAttributes().getActivityType().getName())
            .toList();
    assertThat(scheduled).containsExactly("MintKey", "PublishTo", "DeleteKey");
  }

  /**
   * A step that falls back to an activity may retry there for the step's deadline: the rotation
   * rests in that phase, so its search attributes (identity and phase) are written before the
   * activity is scheduled, and a filter on the secret id or the phase finds it meanwhile.
   */
  @Test
  void aStepThatFallsBackToAnActivityShowsItsPhaseFirst(
      TestWorkflowEnvironment testEnv, Worker worker) throws Exception {
    when(gateway.mintKey(any()))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT))
        .thenThrow(ApplicationFailure.newFailure("proxy 503", RotationFailures.TRANSIENT))
        .thenReturn(minted(true));
    KeyRotationWorkflow wf = start(testEnv, worker);
    wf.rotate(request(Duration.ZERO));
    java.util.List<String> steps =
        testEnv
            .getWorkflowClient()
            .fetchHistory(WorkflowStub.fromTyped(wf).getExecution().getWorkflowId())
            .getEvents()
            .stream()
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
                                .getIndexedFieldsMap()
                                .containsKey(KeyturnSearchAttributes.SECRET_ID.getName())
                            ? "identity+"
                                + e.getUpsertWorkflowSearchAttributesEventAttributes()
                                    .getSearchAttributes()
                                    .getIndexedFieldsOrThrow(
                                        KeyturnSearchAttributes.PHASE.getName())
                                    .getData()
                                    .toStringUtf8()
                            : "phase")
            .toList();
    assertThat(steps).startsWith("identity+\"MINTING\"", "MintKey");
    // The fallback's decision comes from the recorded marker: the history replays as it ran.
    io.temporal.testing.WorkflowReplayer.replayWorkflowExecution(
        testEnv
            .getWorkflowClient()
            .fetchHistory(WorkflowStub.fromTyped(wf).getExecution().getWorkflowId()),
        KeyRotationWorkflowImpl.class);
  }

  /** A non-retryable failure of a local step is final: no activity tries it again. */
  @Test
  void aNonRetryableLocalFailureIsNotRetriedAsAnActivity(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.importPolicy(GATEWAY, OLD))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure(
                "no such key", RotationFailures.OLD_KEY_NOT_FOUND));
    KeyRotationWorkflow wf = start(testEnv, worker);
    assertThatThrownBy(() -> wf.rotate(request(Duration.ZERO)))
        .isInstanceOf(WorkflowFailedException.class);
    verify(gateway, times(1)).importPolicy(GATEWAY, OLD);
    verify(gateway, never()).mintKey(any());
  }

  @Test
  void revokeNowEndsTheGracePeriodEarly(TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker);
    WorkflowClient.start(wf::rotate, request(Duration.ofDays(30)));
    testEnv.sleep(Duration.ofHours(1));
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.IN_GRACE);
    verify(gateway, never()).deleteKey(any(), any());

    wf.revokeNow("leaked in a log");
    RotationResult result = WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    assertThat(result.revokedEarly()).isTrue();
    verify(gateway, times(1)).confirmRevoked(eq(GATEWAY), eq(OLD), any(), anyBoolean());
  }

  @Test
  void failedVerifyDeletesTheNewKeyAndLeavesTheOldOne(
      TestWorkflowEnvironment testEnv, Worker worker) {
    doThrow(
            ApplicationFailure.newNonRetryableFailure(
                "new key cannot see model gpt-4o-mini", RotationFailures.VERIFY_FAILED))
        .when(gateway)
        .verifyKey(any(), any(), any());
    KeyRotationWorkflow wf = start(testEnv, worker);

    assertThatThrownBy(() -> wf.rotate(request(Duration.ofHours(1))))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .hasMessageContaining("gpt-4o-mini");
    verify(gateway).discardDerivedKey(any());
    verify(gateway, never()).deleteKey(any(), any());
    verify(store, never()).publishTo(any(), any());
    verify(store, never()).restoreAt(any(), any());
    RotationStatus s = wf.status();
    assertThat(s.phase()).isEqualTo(RotationPhase.ROLLED_BACK);
    assertThat(s.message())
        .contains("NOT revoked")
        .contains("(alias keyturn-svc-a-g7) was deleted");
  }

  @Test
  void failedPublishRestoresTheStoreDeletesTheNewKeyAndLeavesTheOldOne(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(store.publishTo(any(), any()))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure(
                "Vault refused the token", RotationFailures.VAULT_DENIED));
    KeyRotationWorkflow wf = start(testEnv, worker);

    assertThatThrownBy(() -> wf.rotate(request(Duration.ofHours(1))))
        .isInstanceOf(WorkflowFailedException.class)
        .cause()
        .isInstanceOf(ApplicationFailure.class)
        .satisfies(
            f ->
                assertThat(((ApplicationFailure) f).getType())
                    .isEqualTo(KeyRotationWorkflowImpl.ROLLED_BACK));
    InOrder order = inOrder(gateway, store);
    order.verify(store).restoreAt(eq(VAULT), any());
    order.verify(gateway).discardDerivedKey(any());
    verify(gateway, never()).deleteKey(any(), any());
    assertThat(wf.status().message()).contains("Vault refused the token").contains("NOT revoked");
  }

  @Test
  void retriedPublishThatKeepsFailingRetryableStillRollsBack(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(store.publishTo(any(), any()))
        .thenThrow(ApplicationFailure.newFailure("Vault 503", RotationFailures.TRANSIENT));
    KeyRotationWorkflow wf = start(testEnv, worker);
    assertThatThrownBy(() -> wf.rotate(request(Duration.ofHours(1))))
        .isInstanceOf(WorkflowFailedException.class);
    verify(store, atLeast(3)).publishTo(any(), any());
    verify(gateway).discardDerivedKey(any());
    verify(gateway, never()).deleteKey(any(), any());
  }

  @Test
  void aRetriedMintAdoptsItsOwnKeyInsteadOfMintingTwice(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.mintKey(any()))
        .thenThrow(ApplicationFailure.newFailure("connection reset", RotationFailures.TRANSIENT))
        .thenReturn(minted(true));
    KeyRotationWorkflow wf = start(testEnv, worker);
    RotationResult result = wf.rotate(request(Duration.ZERO));
    assertThat(result.newKey()).isEqualTo(NEW);
    verify(gateway, times(2)).mintKey(any());
    verify(gateway, never()).discardDerivedKey(any());
    // Both attempts asked for the same derivation, which is what lets the activity find its key.
    verify(gateway, times(2))
        .mintKey(argThat((MintRequest m) -> m.derivation().nonce().equals(m.derivation().nonce())));
  }

  @Test
  void theVaultShorthandIsCheckedBeforeAnythingIsMinted(
      TestWorkflowEnvironment testEnv, Worker worker) {
    doThrow(
            ApplicationFailure.newNonRetryableFailure(
                "destination vault-kv2 secret/litellm/svc-a cannot be used: no such mount",
                RotationFailures.DESTINATION_INVALID))
        .when(store)
        .checkDestination(any());
    KeyRotationWorkflow wf = start(testEnv, worker);
    assertThatThrownBy(() -> wf.rotate(request(Duration.ofHours(1))))
        .isInstanceOf(WorkflowFailedException.class);
    verify(store).checkDestination(VAULT);
    verify(gateway, never()).mintKey(any());
    verify(gateway, never()).discardDerivedKey(any());
    assertThat(wf.status().message()).doesNotContain("COULD NOT");
  }

  @Test
  void aMintThatFailsAfterItsReplyWasLostDeletesTheDerivedKey(
      TestWorkflowEnvironment testEnv, Worker worker) {
    // The first /key/generate created the key but its reply was lost; the retry got a 401.
    when(gateway.mintKey(any()))
        .thenThrow(ApplicationFailure.newFailure("connection reset", RotationFailures.TRANSIENT))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure(
                "LiteLLM refused the management key (401)", RotationFailures.GATEWAY_UNAUTHORIZED));
    KeyRotationWorkflow wf = start(testEnv, worker);

    assertThatThrownBy(() -> wf.rotate(request(Duration.ofHours(1))))
        .isInstanceOf(WorkflowFailedException.class);
    verify(gateway)
        .discardDerivedKey(
            argThat(
                (MintRequest m) ->
                    m.alias().equals("keyturn-svc-a-g7")
                        && m.derivation().workflowId().equals("rotation/svc-a/7")));
    verify(gateway, never()).deleteKey(any(), any());
    verify(gateway, never()).verifyKey(any(), any(), any());
    RotationStatus s = wf.status();
    assertThat(s.phase()).isEqualTo(RotationPhase.ROLLED_BACK);
    assertThat(s.message())
        .contains("failed while minting")
        .contains("(alias keyturn-svc-a-g7) was deleted")
        .contains("NOT revoked");
  }

  @Test
  void aMintStillFailingAtItsScheduleToCloseDeletesTheDerivedKey(
      TestWorkflowEnvironment testEnv, Worker worker) {
    // A proxy answering 5xx (or a worker down) for longer than the mint may keep trying.
    when(gateway.mintKey(any()))
        .thenThrow(
            ApplicationFailure.newFailure(
                "LiteLLM 503 (server error; retrying)", RotationFailures.TRANSIENT));
    KeyRotationWorkflow wf = start(testEnv, worker);

    assertThatThrownBy(() -> wf.rotate(request(Duration.ofHours(1))))
        .isInstanceOf(WorkflowFailedException.class);
    verify(gateway).discardDerivedKey(any());
    verify(gateway, never()).deleteKey(any(), any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.ROLLED_BACK);
    // The last attempt's "(…; retrying)" is not the final word: the step gave up.
    assertThat(wf.status().message())
        .contains("LiteLLM 503 (still failing when the step's time limit ran out)")
        .doesNotContain("retrying");
  }

  @Test
  void aDerivedKeyThatCannotBeDeletedIsNamedByAliasInTheFailure(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.mintKey(any()))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure(
                "LiteLLM 401", RotationFailures.GATEWAY_UNAUTHORIZED));
    when(gateway.discardDerivedKey(any()))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure(
                "LiteLLM refused the management key (401)", RotationFailures.GATEWAY_UNAUTHORIZED));
    KeyRotationWorkflow wf = start(testEnv, worker);

    assertThatThrownBy(() -> wf.rotate(request(Duration.ofHours(1))))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .hasMessageContaining("LiteLLM 401");
    assertThat(wf.status().message())
        .contains("COULD NOT delete the new key (alias keyturn-svc-a-g7)")
        .contains("by hand");
  }

  @Test
  void theRevokeReceiptSaysTheOldKeyWasDeletedByThisRotation(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker);
    wf.rotate(request(Duration.ZERO));
    InOrder order = inOrder(gateway);
    order.verify(gateway).deleteKey(GATEWAY, OLD);
    // The proof is asked with what the delete answered, and the delete is never sent twice.
    order.verify(gateway).confirmRevoked(eq(GATEWAY), eq(OLD), any(), eq(true));
    verify(gateway, times(1)).deleteKey(any(), any());
  }

  @Test
  void aMissingOldKeyFailsBeforeAnythingIsMinted(TestWorkflowEnvironment testEnv, Worker worker) {
    when(gateway.importPolicy(any(), any()))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure(
                "key not found at the proxy", RotationFailures.OLD_KEY_NOT_FOUND));
    KeyRotationWorkflow wf = start(testEnv, worker);
    assertThatThrownBy(() -> wf.rotate(request(Duration.ZERO)))
        .isInstanceOf(WorkflowFailedException.class);
    verify(gateway, never()).mintKey(any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.FAILED);
  }

  @Test
  void setsSearchAttributesForTheUiAndSaysInWordsWhatItIsDoing(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker);
    WorkflowClient.start(wf::rotate, request(Duration.ofDays(1)));
    testEnv.sleep(Duration.ofHours(1));
    var mid = WorkflowStub.fromTyped(wf).describe().getTypedSearchAttributes();
    assertThat(mid.get(KeyturnSearchAttributes.PHASE)).isEqualTo("IN_GRACE");
    assertThat(mid.get(KeyturnSearchAttributes.SECRET_ID)).isEqualTo("svc-a");
    assertThat(mid.get(KeyturnSearchAttributes.GENERATION)).isEqualTo(7L);
    assertThat(mid.get(KeyturnSearchAttributes.GATEWAY)).isEqualTo(GATEWAY);
    String details =
        testEnv
            .getWorkflowClient()
            .getWorkflowServiceStubs()
            .blockingStub()
            .queryWorkflow(
                io.temporal.api.workflowservice.v1.QueryWorkflowRequest.newBuilder()
                    .setNamespace(testEnv.getNamespace())
                    .setExecution(
                        io.temporal.api.common.v1.WorkflowExecution.newBuilder()
                            .setWorkflowId("rotation/svc-a/7"))
                    .setQuery(
                        io.temporal.api.query.v1.WorkflowQuery.newBuilder()
                            .setQueryType("__temporal_workflow_metadata"))
                    .build())
            .getQueryResult()
            .toString();
    assertThat(details).contains("IN_GRACE").contains(OLD.fingerprint()).contains("svc-a");
    WorkflowStub.fromTyped(wf).getResult(RotationResult.class);
    assertThat(
            WorkflowStub.fromTyped(wf)
                .describe()
                .getTypedSearchAttributes()
                .get(KeyturnSearchAttributes.PHASE))
        .isEqualTo("COMPLETED");
  }
}
