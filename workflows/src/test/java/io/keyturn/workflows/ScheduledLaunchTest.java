package io.keyturn.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.MasterKeyResult;
import io.keyturn.workflows.model.MasterKeyStatus;
import io.keyturn.workflows.model.RestartSpec;
import io.keyturn.workflows.operator.OperatorRotationLauncherWorkflow;
import io.keyturn.workflows.operator.OperatorRotationLauncherWorkflowImpl;
import io.keyturn.workflows.operator.OperatorRotationRequest;
import io.keyturn.workflows.operator.OperatorRotationStatus;
import io.keyturn.workflows.operator.OperatorRotationWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The launchers a schedule starts for master keys and operator-managed secrets: each starts the
 * rotation under its fixed id ({@code master-key/<id>}, {@code operator-rotation/<id>}) and returns
 * its result; while one runs, a second launch is refused and starts nothing.
 */
class ScheduledLaunchTest {
  static final Set<String> RAN = ConcurrentHashMap.newKeySet();

  /** Stands in for the master-key rotation: waits for confirm-restart, then succeeds. */
  public static class StubMasterKeyRotation implements MasterKeyRotationWorkflow {
    private boolean confirmed;

    @Override
    public MasterKeyResult rotate(MasterKeyRequest request) {
      RAN.add(Workflow.getInfo().getWorkflowId());
      Workflow.await(() -> confirmed);
      return new MasterKeyResult(request.id(), "old", "new", 2, 1, "rotated " + request.id());
    }

    @Override
    public void confirmRestart(String by) {
      confirmed = true;
    }

    @Override
    public MasterKeyStatus status() {
      return null;
    }
  }

  public static class StubOperatorRotation implements OperatorRotationWorkflow {
    @Override
    public OperatorRotationStatus rotate(OperatorRotationRequest request) {
      RAN.add(Workflow.getInfo().getWorkflowId());
      return null;
    }

    @Override
    public OperatorRotationStatus status() {
      return null;
    }
  }

  TestWorkflowEnvironment env;
  WorkflowClient client;

  @BeforeEach
  void start() {
    RAN.clear();
    // No time skipping: nothing here waits on a timer, and while a result is awaited the test
    // server would skip ahead to the runs' timeout (the launcher then "timed out").
    env =
        TestWorkflowEnvironment.newInstance(
            io.temporal.testing.TestEnvironmentOptions.newBuilder()
                .setUseTimeskipping(false)
                .build());
    Worker w = env.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    w.registerWorkflowImplementationTypes(
        StubMasterKeyRotation.class,
        StubOperatorRotation.class,
        MasterKeyLauncherWorkflowImpl.class,
        OperatorRotationLauncherWorkflowImpl.class);
    env.start();
    client = env.getWorkflowClient();
  }

  @AfterEach
  void stop() {
    env.close();
  }

  <T> T launcher(Class<T> type, String id) {
    return client.newWorkflowStub(
        type,
        WorkflowOptions.newBuilder()
            .setWorkflowId(id)
            .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
            .build());
  }

  static MasterKeyRequest request(String id) {
    return new MasterKeyRequest(
        id,
        "http://127.0.0.1:4000",
        List.of(new Destination("vault-kv2", Map.of("name", "litellm-master"))),
        true,
        new RestartSpec(RestartSpec.MANUAL, null, null, null, null, Duration.ofHours(1)),
        "schedule keyturn/master-key/" + id,
        List.of());
  }

  @Test
  void theMasterKeyLauncherRotatesUnderMasterKeyIdAndASecondRunIsRefusedWhileOneRuns()
      throws Exception {
    MasterKeyLauncherWorkflow first =
        launcher(MasterKeyLauncherWorkflow.class, "launch/master-key/prod/scheduled-1");
    CompletableFuture<MasterKeyResult> done =
        WorkflowClient.execute(first::launch, request("prod"));
    while (!RAN.contains("master-key/prod")) {
      env.sleep(Duration.ofMillis(200));
    }

    MasterKeyLauncherWorkflow second =
        launcher(MasterKeyLauncherWorkflow.class, "launch/master-key/prod/scheduled-2");
    assertThatThrownBy(() -> second.launch(request("prod")))
        .isInstanceOf(WorkflowFailedException.class)
        .satisfies(
            e -> {
              ApplicationFailure af = (ApplicationFailure) e.getCause();
              assertThat(af.getType()).isEqualTo(RotationFailures.ALREADY_RUNNING);
              assertThat(af.getOriginalMessage())
                  .contains("master-key/prod")
                  .contains("already running")
                  .contains("keyturn master-status prod");
            });

    client
        .newWorkflowStub(MasterKeyRotationWorkflow.class, "master-key/prod")
        .confirmRestart("test");
    assertThat(done.get().summary()).isEqualTo("rotated prod");
  }

  @Test
  void theOperatorLauncherRotatesUnderOperatorRotationId() {
    OperatorRotationLauncherWorkflow l =
        launcher(OperatorRotationLauncherWorkflow.class, "launch/operator/billing/scheduled-1");
    l.launch(
        new OperatorRotationRequest(
            "billing",
            "http://127.0.0.1:4000",
            "litellm/billing",
            List.of(),
            Duration.ofHours(1),
            "schedule keyturn/billing"));
    assertThat(RAN).containsExactly("operator-rotation/billing");
  }
}
