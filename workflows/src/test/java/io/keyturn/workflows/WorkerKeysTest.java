package io.keyturn.workflows;

import static io.keyturn.workflows.Fixtures.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.*;

import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.SealedSecret;
import io.keyturn.workflows.model.WorkerKeys;
import io.temporal.api.enums.v1.EventType;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The worker's keys as a rotation meets them: asked for through Temporal, a rotation started with
 * another payload key, and a keyring rotated while a rotation is in its grace period.
 */
class WorkerKeysTest {
  static final String RAW_OLD = "sk-test-old-key-aaaaaaaaaaaa";

  private static TestWorkflowEnvironment env(PayloadKeys workerPayloadKeys) {
    TestWorkflowEnvironment env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder()
                        .setDataConverter(KeyturnPayloadCodec.dataConverter(workerPayloadKeys))
                        .build())
                .build());
    return withSearchAttributes(env);
  }

  /**
   * A worker on the rotations' task queue running the rotation with the payload codec's options.
   */
  private static Worker rotationWorker(TestWorkflowEnvironment env) {
    Worker w = env.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    w.registerWorkflowImplementationTypes(
        KeyturnPayloadCodec.WORKFLOW_OPTIONS, KeyRotationWorkflowImpl.class);
    return w;
  }

  private static WorkflowClient client(TestWorkflowEnvironment env, PayloadKeys keys) {
    return WorkflowClient.newInstance(
        env.getWorkflowServiceStubs(),
        WorkflowClientOptions.newBuilder()
            .setNamespace(env.getNamespace())
            .setDataConverter(KeyturnPayloadCodec.dataConverter(keys))
            .build());
  }

  @Test
  void theWorkerAnswersWithItsKeyIdsThroughTemporal() {
    WorkerKeyring ring = WorkerKeyring.generate().rotate();
    PayloadKeys payload = PayloadKeys.parse(PayloadKeys.generateBase64());
    WorkerKeys answer =
        new WorkerKeys(
            ring.currentKeyId(),
            ring.publicKeys().stream().map(k -> k.text()).toList(),
            payload.currentId(),
            payload.ids());
    try (TestWorkflowEnvironment env = env(payload)) {
      Worker w = env.newWorker(WorkerKeysWorkflow.taskQueueFor(KeyRotationWorkflow.TASK_QUEUE));
      w.registerWorkflowImplementationFactory(
          WorkerKeysWorkflow.class, () -> new WorkerKeysWorkflowImpl(answer));
      env.start();
      WorkerKeys got =
          env.getWorkflowClient()
              .newWorkflowStub(
                  WorkerKeysWorkflow.class,
                  WorkflowOptions.newBuilder()
                      .setWorkflowId(WorkerKeysWorkflow.WORKFLOW_ID_PREFIX + "t1")
                      .setTaskQueue(WorkerKeysWorkflow.taskQueueFor(KeyRotationWorkflow.TASK_QUEUE))
                      .build())
              .describe();
      assertThat(got).isEqualTo(answer);
      assertThat(got.publicKeys()).hasSize(2).first().isEqualTo(ring.currentPublicKey().text());
    }
  }

  /**
   * A rotation whose input was encrypted with a payload key the worker does not hold fails at once,
   * naming both key ids, instead of retrying its workflow task forever.
   */
  @Test
  void aRotationStartedWithAnotherPayloadKeyFailsNamingBothKeyIds() {
    PayloadKeys workerKeys = PayloadKeys.parse(PayloadKeys.generateBase64());
    PayloadKeys cliKeys = PayloadKeys.parse(PayloadKeys.generateBase64());
    try (TestWorkflowEnvironment env = env(workerKeys)) {
      Worker w = rotationWorker(env);
      ActivityMocks mocks = ActivityMocks.create();
      LiteLlmActivities gateway = mocks.gateway();
      SecretStoreActivities store = mocks.store();
      w.registerActivitiesImplementations(gateway, store);
      env.start();
      WorkflowClient cli = client(env, cliKeys);
      WorkflowStub stub =
          cli.newUntypedWorkflowStub(
              "KeyRotation",
              WorkflowOptions.newBuilder()
                  .setWorkflowId("rotation/svc-a/7")
                  .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                  .setWorkflowRunTimeout(Duration.ofMinutes(5))
                  .build());
      stub.start(request(Duration.ofHours(1)));

      assertThatThrownBy(
              () -> stub.getResult(30, java.util.concurrent.TimeUnit.SECONDS, Void.class))
          .isInstanceOf(WorkflowFailedException.class)
          .hasStackTraceContaining(cliKeys.currentId())
          .hasStackTraceContaining(workerKeys.currentId())
          .hasStackTraceContaining("KEYTURN_PAYLOAD_KEY");
      verifyNoInteractions(gateway, store);
      long taskFailures =
          env.getWorkflowClient().fetchHistory("rotation/svc-a/7").getEvents().stream()
              .filter(e -> e.getEventType() == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED)
              .count();
      assertThat(taskFailures).isZero();
    }
  }

  /**
   * The keyring rotates while a rotation is in its grace period: the minted key's derivation names
   * the key that was current at mint, so the worker recomputes the same value afterwards, and the
   * old application key sealed to the previous worker key still opens for the revoke check.
   */
  @Test
  void aKeyringRotatedDuringGraceStillDerivesTheSameKeyAndOpensTheOldSealedKey() {
    PayloadKeys payload = PayloadKeys.parse(PayloadKeys.generateBase64());
    WorkerKeyring before = WorkerKeyring.generate();
    AtomicReference<WorkerKeyring> keyring = new AtomicReference<>(before);
    AtomicReference<String> mintedValue = new AtomicReference<>();
    AtomicReference<MintedKey> published = new AtomicReference<>();
    AtomicReference<String> atRevoke = new AtomicReference<>();
    AtomicReference<String> openedAtRevoke = new AtomicReference<>();
    try (TestWorkflowEnvironment env = env(payload)) {
      Worker w = rotationWorker(env);
      ActivityMocks mocks = ActivityMocks.create();
      LiteLlmActivities gateway = mocks.gateway();
      SecretStoreActivities store = mocks.store();
      when(gateway.importPolicy(any(), any())).thenReturn(POLICY);
      when(gateway.mintKey(any()))
          .thenAnswer(
              inv -> {
                MintRequest req = inv.getArgument(0);
                WorkerKeyring ring = keyring.get();
                var bound = ring.bind(req.derivation());
                String raw = ring.deriveKey(bound);
                mintedValue.set(raw);
                return new MintedKey(KeyMaterial.ref(raw), req.alias(), bound, null, false);
              });
      when(store.publishTo(eq(VAULT), any()))
          .thenAnswer(
              inv -> {
                published.set(inv.getArgument(1));
                return receipt();
              });
      when(gateway.deleteKey(any(), any())).thenReturn(true);
      when(gateway.confirmRevoked(any(), any(), any(), anyBoolean()))
          .thenAnswer(
              inv -> {
                // What the worker does after the keyring moved on: recompute, then open.
                WorkerKeyring ring = keyring.get();
                atRevoke.set(ring.deriveKey(published.get().derivation()));
                openedAtRevoke.set(ring.open(inv.getArgument(2, SealedSecret.class)));
                return revoked();
              });
      w.registerActivitiesImplementations(gateway, store);
      env.start();
      KeyRef old = KeyMaterial.ref(RAW_OLD);
      RotationRequest req =
          Fixtures.request(Duration.ofHours(24)).toBuilder()
              .oldKey(old, before.currentPublicKey().seal(RAW_OLD))
              .build();
      KeyRotationWorkflow wf = rotation(env.getWorkflowClient());
      WorkflowClient.start(wf::rotate, req);
      env.sleep(Duration.ofHours(1));
      assertThat(published.get()).isNotNull();
      assertThat(published.get().derivation().keyId()).isEqualTo(before.currentKeyId());

      WorkerKeyring after = before.rotate();
      keyring.set(WorkerKeyring.parse(after.toJson()));
      assertThat(after.currentKeyId()).isNotEqualTo(before.currentKeyId());

      env.sleep(Duration.ofHours(24));
      WorkflowStub.fromTyped(wf).getResult(Object.class);
      assertThat(atRevoke.get()).isEqualTo(mintedValue.get());
      assertThat(openedAtRevoke.get()).isEqualTo(RAW_OLD);
    }
  }
}
