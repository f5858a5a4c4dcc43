package io.keyturn.workflows;

import static io.keyturn.workflows.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.*;

import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
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

/** The v2 request: several destinations, a written-out policy, and the chained old key. */
class MultiDestinationWorkflowTest {

  @RegisterExtension static final TestWorkflowExtension env = rotationWorkflowExtension();

  static final Destination VAULT_D = new Destination("vault-kv2", Map.of("name", "svc-a"));
  static final Destination AWS_D =
      new Destination(
          "aws-secretsmanager", Map.of("secretId", "litellm/svc-a", "region", "eu-west-1"));
  static final Destination FILE_D = new Destination("file", Map.of("path", "/srv/svc-a.env"));
  static final KeyRef STORED = KeyMaterial.ref("sk-test-stored-key-cccccccccc");
  static final SealedSecret SEALED = new SealedSecret("k1", "e1", "n1", "c1");

  // Fresh mocks for each test: JUnit makes a new instance of the class per test.
  private final ActivityMocks mocks = ActivityMocks.create();
  private final LiteLlmActivities gateway = mocks.gateway();
  private final SecretStoreActivities store = mocks.store();

  @BeforeEach
  void stubs() {
    when(gateway.importPolicy(eq(GATEWAY), any())).thenReturn(POLICY);
    when(gateway.mintKey(any())).thenReturn(minted(false));
    when(gateway.deleteKey(eq(GATEWAY), any())).thenReturn(true);
    when(gateway.confirmRevoked(eq(GATEWAY), any(), any(), anyBoolean())).thenReturn(revoked());
    when(gateway.discardDerivedKey(any())).thenReturn(true);
    for (Destination d : List.of(VAULT_D, AWS_D, FILE_D)) {
      when(store.publishTo(eq(d), any())).thenReturn(new PublishReceipt(d.describe(), 2, 1, true));
      when(store.restoreAt(eq(d), any())).thenReturn("restored " + d.type() + ".");
    }
  }

  private RotationRequest request(
      List<Destination> ds, KeyRef old, boolean chain, KeyPolicy policy, long generation) {
    return RotationRequest.builder("svc-a")
        .generation(generation)
        .gatewayUrl(GATEWAY)
        .oldKey(old)
        .gracePeriod(Duration.ofHours(1))
        .requestedBy("test")
        .destinations(ds)
        .policy(policy)
        .chainFromStore(chain)
        .build();
  }

  private KeyRotationWorkflow start(TestWorkflowEnvironment testEnv, Worker worker, String id) {
    return mocks.startWorker(testEnv, worker, id);
  }

  @Test
  void publishesToEveryDestinationBeforeTheGracePeriodThenRevokes(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker, "rotation/svc-a/7");
    RotationResult r = wf.rotate(request(List.of(VAULT_D, AWS_D, FILE_D), OLD, false, null, 7));

    InOrder order = inOrder(gateway, store);
    order.verify(store).checkDestination(VAULT_D);
    order.verify(store).checkDestination(AWS_D);
    order.verify(store).checkDestination(FILE_D);
    order.verify(gateway).mintKey(any());
    order.verify(store).publishTo(eq(VAULT_D), any());
    order.verify(store).publishTo(eq(AWS_D), any());
    order.verify(store).publishTo(eq(FILE_D), any());
    order.verify(gateway).confirmRevoked(eq(GATEWAY), eq(OLD), any(), anyBoolean());
    assertThat(r.publishedTo())
        .extracting(PublishReceipt::location)
        .containsExactly(VAULT_D.describe(), AWS_D.describe(), FILE_D.describe());
    verify(store, times(3)).publishTo(any(), any());
  }

  @Test
  void aDestinationThatFailsForGoodLeavesTheOldKeyAndRestoresEveryTouchedStore(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(store.publishTo(eq(AWS_D), any()))
        .thenThrow(
            ApplicationFailure.newNonRetryableFailure("aws denied", RotationFailures.STORE_DENIED));
    KeyRotationWorkflow wf = start(testEnv, worker, "rotation/svc-a/7");
    WorkflowClient.start(wf::rotate, request(List.of(VAULT_D, AWS_D, FILE_D), OLD, false, null, 7));
    assertThatThrownBy(() -> WorkflowStub.fromTyped(wf).getResult(RotationResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .hasMessageContaining("aws denied");
    verify(store).restoreAt(eq(VAULT_D), any());
    verify(store).restoreAt(eq(AWS_D), any());
    verify(store, never()).publishTo(eq(FILE_D), any());
    verify(store, never()).restoreAt(eq(FILE_D), any());
    verify(gateway).discardDerivedKey(any());
    verify(gateway, never()).deleteKey(any(), any());
    assertThat(wf.status().phase()).isEqualTo(RotationPhase.ROLLED_BACK);
    assertThat(wf.status().message())
        .contains("restored vault-kv2.")
        .contains("NOT revoked")
        .contains(OLD.fingerprint());
  }

  @Test
  void aBadDestinationFailsBeforeAnythingIsMinted(TestWorkflowEnvironment testEnv, Worker worker) {
    doThrow(
            ApplicationFailure.newNonRetryableFailure(
                "no such mount", RotationFailures.DESTINATION_INVALID))
        .when(store)
        .checkDestination(AWS_D);
    KeyRotationWorkflow wf = start(testEnv, worker, "rotation/svc-a/7");
    assertThatThrownBy(() -> wf.rotate(request(List.of(VAULT_D, AWS_D), OLD, false, null, 7)))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .hasMessageContaining("no such mount");
    verify(gateway, never()).importPolicy(any(), any());
    verify(gateway, never()).mintKey(any());
  }

  @Test
  void aScheduledRotationReplacesTheKeyThePrimaryDestinationHolds(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(store.readCurrentKey(VAULT_D)).thenReturn(new CurrentKey(STORED, SEALED, "vault v3"));
    KeyPolicy written = new KeyPolicy(Map.of("models", List.of("gpt-4o-mini"), "rpm_limit", 5));
    KeyRotationWorkflow wf = start(testEnv, worker, "rotation/svc-a/scheduled-1");
    RotationResult r = wf.rotate(request(List.of(VAULT_D, FILE_D), OLD, true, written, 0));

    assertThat(r.oldKey()).as("the stored key, not the bootstrap key").isEqualTo(STORED);
    verify(gateway).importPolicy(GATEWAY, STORED);
    verify(gateway).confirmRevoked(eq(GATEWAY), eq(STORED), eq(SEALED), anyBoolean());
    verify(gateway)
        .mintKey(
            argThat(
                (MintRequest m) ->
                    m.policy().equals(written)
                        && m.alias().matches("keyturn-svc-a-g20\\d{12}")
                        && m.replaces().equals(STORED)));
    assertThat(r.generation()).isGreaterThan(20_000_000_000_000L);
  }

  @Test
  void aScheduledRotationOfAnEmptyStoreReplacesTheDeclaredFirstKey(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(store.readCurrentKey(VAULT_D)).thenReturn(null);
    KeyRotationWorkflow wf = start(testEnv, worker, "rotation/svc-a/scheduled-2");
    RotationResult r = wf.rotate(request(List.of(VAULT_D), OLD, true, null, 0));
    assertThat(r.oldKey()).isEqualTo(OLD);
    verify(gateway).confirmRevoked(eq(GATEWAY), eq(OLD), any(), anyBoolean());
  }

  @Test
  void aScheduledRotationWithNothingToReplaceSaysWhatToDo(
      TestWorkflowEnvironment testEnv, Worker worker) {
    when(store.readCurrentKey(VAULT_D)).thenReturn(null);
    KeyRotationWorkflow wf = start(testEnv, worker, "rotation/svc-a/scheduled-3");
    assertThatThrownBy(() -> wf.rotate(request(List.of(VAULT_D), null, true, null, 0)))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .hasMessageContaining("nothing to rotate")
        .hasMessageContaining("currentKey");
    verify(gateway, never()).mintKey(any());
  }

  @Test
  void verifyModelsOffDropsTheModelCheckButNotTheKeyCheck(
      TestWorkflowEnvironment testEnv, Worker worker) {
    KeyRotationWorkflow wf = start(testEnv, worker, "rotation/svc-a/7");
    RotationRequest req =
        request(List.of(VAULT_D), OLD, false, null, 7).toBuilder()
            .gracePeriod(Duration.ZERO)
            .verifyModels(false)
            .build();
    wf.rotate(req);
    verify(gateway)
        .verifyKey(eq(GATEWAY), any(), argThat((KeyPolicy p) -> !p.fields().containsKey("models")));
  }
}
