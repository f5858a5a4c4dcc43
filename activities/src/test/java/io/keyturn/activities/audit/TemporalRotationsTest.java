package io.keyturn.activities.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.testkit.launch.TemporalDevServer;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.keyturn.workflows.testing.RotationStandIn;
import io.keyturn.workflows.testing.Rotations;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What Temporal says about rotations, read as the worker reads it: running ones with what each owns
 * (from its status query), and the key the last completed one published.
 */
class TemporalRotationsTest {
  static final KeyRef OLD = KeyMaterial.ref("sk-old-key-of-the-rotation-0123");
  static final KeyRef NEW = KeyMaterial.ref("sk-new-key-of-the-rotation-0123");

  static TemporalDevServer server;
  static WorkflowServiceStubs stubs;
  static WorkerFactory factory;
  static WorkflowClient client;

  /** A rotation that answers its status and waits (secret "wait-*") or completes at once. */
  public static class StandIn extends RotationStandIn {
    private long generation;

    @Override
    public RotationResult rotate(RotationRequest request) {
      generation = request.generation();
      if (request.secretId().startsWith("wait")) {
        Workflow.await(() -> false);
      }
      return new RotationResult(
          request.secretId(), generation, OLD, NEW, "keyturn-x-g1", null, false, List.of());
    }

    @Override
    public RotationStatus status() {
      return new RotationStatus(
          "x",
          generation,
          RotationPhase.VERIFYING,
          OLD.fingerprint(),
          null,
          null,
          null,
          null,
          false,
          "verifying");
    }
  }

  @BeforeAll
  static void start() throws Exception {
    // The real dev server: the in-memory test server cannot list workflows.
    server = TemporalDevServer.builder().build().start();
    stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(server.address()).build());
    client = WorkflowClient.newInstance(stubs);
    factory = WorkerFactory.newInstance(client);
    Worker w = factory.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    w.registerWorkflowImplementationTypes(StandIn.class);
    factory.start();
  }

  @AfterAll
  static void stop() {
    if (factory != null) {
      factory.shutdownNow();
    }
    if (stubs != null) {
      stubs.shutdownNow();
    }
    if (server != null) {
      server.close();
    }
  }

  static void start(String secret, long generation) {
    RotationRequest req =
        RotationRequest.builder(secret)
            .generation(generation)
            .gatewayUrl("http://127.0.0.1:4000")
            .oldKey(OLD)
            .destinations(
                new io.keyturn.workflows.model.Destination(
                    "vault-kv2", java.util.Map.of("name", secret)))
            .gracePeriod(Duration.ofHours(1))
            .requestedBy("test")
            .build();
    Rotations.start(client, req);
  }

  @Test
  void aRunningRotationOwnsItsGenerationAndTheKeyItReplaces() throws Exception {
    start("wait-a", 7);
    TemporalRotations t = new TemporalRotations(client, Duration.ofSeconds(5));
    // Named by secret: read directly, whatever visibility says yet.
    List<RunningRotation> running = t.running(List.of("wait-a", "never-rotated"));
    assertThat(running)
        .contains(new RunningRotation("rotation/wait-a", "wait-a", 7, OLD.fingerprint()));
    assertThat(running).noneMatch(r -> "never-rotated".equals(r.secretId()));
  }

  @Test
  void theLastCompletedRotationSaysWhichKeyItPublished() throws Exception {
    start("done-b", 1);
    client.newUntypedWorkflowStub("rotation/done-b").getResult(RotationResult.class);
    TemporalRotations t = new TemporalRotations(client, Duration.ofSeconds(5));
    KeyRef published = null;
    for (int i = 0; i < 50 && published == null; i++) {
      published = t.lastPublished("done-b");
      Thread.sleep(100);
    }
    assertThat(published).isEqualTo(NEW);
    assertThat(t.lastPublished("nothing-here")).isNull();
    assertThat(t.running(List.of("done-b"))).noneMatch(r -> "done-b".equals(r.secretId()));
  }
}
