package io.keyturn.workflows;

import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyBoolean;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;
import static org.mockito.Mockito.withSettings;

import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.KeyUse;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.common.SearchAttributeKey;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.testing.TestWorkflowExtension;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Canned values, activity mocks and test environments for workflow tests. The "keys" here are fake
 * and only ever appear as hashes.
 */
final class Fixtures {
  private Fixtures() {}

  static final String GATEWAY = "http://127.0.0.1:4000";
  static final KeyRef OLD = KeyMaterial.ref("sk-test-old-key-aaaaaaaaaaaa");
  static final KeyRef NEW = KeyMaterial.ref("sk-test-new-key-bbbbbbbbbbbb");
  static final Destination VAULT = new Destination("vault-kv2", Map.of("name", "svc-a"));
  static final KeyPolicy POLICY =
      new KeyPolicy(Map.of("models", List.of("gpt-4o-mini"), "max_budget", 10.0));

  static RotationRequest request(Duration grace) {
    return request("svc-a", grace).generation(7).requestedBy("test").build();
  }

  /** A request for {@code secretId} replacing {@link #OLD}, published to {@link #VAULT}. */
  static RotationRequest.Builder request(String secretId, Duration grace) {
    return RotationRequest.builder(secretId)
        .gatewayUrl(GATEWAY)
        .oldKey(OLD)
        .destinations(VAULT)
        .gracePeriod(grace);
  }

  static MintedKey minted(boolean adopted) {
    return new MintedKey(
        NEW,
        "keyturn-svc-a-g7",
        new KeyDerivation("rotation/svc-a/7", "keyturn-svc-a-g7", "run"),
        null,
        adopted);
  }

  static PublishReceipt receipt() {
    return new PublishReceipt(VAULT.describe(), 2, 1, true);
  }

  static RevokeReceipt revoked() {
    return new RevokeReceipt(OLD, false, "key info 404");
  }

  /** The search attributes a rotation sets, which the test server must know. */
  static final List<SearchAttributeKey<?>> SEARCH_ATTRIBUTES =
      List.of(
          KeyturnSearchAttributes.SECRET_ID,
          KeyturnSearchAttributes.PHASE,
          KeyturnSearchAttributes.GATEWAY,
          KeyturnSearchAttributes.GENERATION);

  /** {@code env}, with {@link #SEARCH_ATTRIBUTES} registered. */
  static TestWorkflowEnvironment withSearchAttributes(TestWorkflowEnvironment env) {
    for (SearchAttributeKey<?> k : SEARCH_ATTRIBUTES) {
      env.registerSearchAttribute(k.getName(), k.getValueType());
    }
    return env;
  }

  /**
   * A test server per test with {@link KeyRotationWorkflowImpl} and {@link #SEARCH_ATTRIBUTES}, not
   * started: the test registers its activities first.
   */
  static TestWorkflowExtension rotationWorkflowExtension() {
    TestWorkflowExtension.Builder b =
        TestWorkflowExtension.newBuilder()
            .registerWorkflowImplementationTypes(KeyRotationWorkflowImpl.class)
            .setDoNotStart(true);
    for (SearchAttributeKey<?> k : SEARCH_ATTRIBUTES) {
      b.registerSearchAttribute(k.getName(), k.getValueType());
    }
    return b.build();
  }

  /** A stub of the rotation {@code rotation/svc-a/7} on the rotations' task queue. */
  static KeyRotationWorkflow rotation(WorkflowClient client) {
    return client.newWorkflowStub(
        KeyRotationWorkflow.class,
        WorkflowOptions.newBuilder()
            .setWorkflowId("rotation/svc-a/7")
            .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
            .build());
  }

  /** Mocks of both activity interfaces (their Temporal annotations left off the mocks). */
  record ActivityMocks(LiteLlmActivities gateway, SecretStoreActivities store) {
    static ActivityMocks create() {
      return new ActivityMocks(
          mock(LiteLlmActivities.class, withSettings().withoutAnnotations()),
          mock(SecretStoreActivities.class, withSettings().withoutAnnotations()));
    }

    /**
     * Mocks on which any rotation goes well: the old key's policy is {@link #POLICY}, the minted
     * key {@link #minted}, each publish {@link #receipt}, a discard succeeds and the revoke is
     * confirmed.
     */
    static ActivityMocks succeeding() {
      ActivityMocks m = create();
      when(m.gateway.importPolicy(any(), any())).thenReturn(POLICY);
      when(m.gateway.mintKey(any())).thenReturn(minted(false));
      when(m.store.publishTo(any(), any())).thenReturn(receipt());
      when(m.gateway.discardDerivedKey(any())).thenReturn(true);
      when(m.gateway.confirmRevoked(any(), any(), any(), anyBoolean())).thenReturn(revoked());
      when(m.gateway.keyUse(any(), any(), any())).thenReturn(KeyUse.unknown(OLD));
      return m;
    }

    /**
     * Registers these mocks on {@code worker}, starts the test server and returns a stub of the
     * rotation {@code workflowId} on the worker's task queue, for the test to start.
     */
    KeyRotationWorkflow startWorker(TestWorkflowEnvironment env, Worker worker, String workflowId) {
      worker.registerActivitiesImplementations(gateway, store);
      env.start();
      return env.getWorkflowClient()
          .newWorkflowStub(
              KeyRotationWorkflow.class,
              WorkflowOptions.newBuilder()
                  .setWorkflowId(workflowId)
                  .setTaskQueue(worker.getTaskQueue())
                  .build());
    }
  }
}
