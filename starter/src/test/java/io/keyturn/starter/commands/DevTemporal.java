package io.keyturn.starter.commands;

import io.keyturn.starter.TestKeys;
import io.keyturn.testkit.launch.TemporalDevServer;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleListDescription;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.WorkerFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The real Temporal dev server (the in-memory test server has no Schedules) with a client that
 * reads and writes payloads as the test worker and the CLI do, for the command tests that need it.
 * Registered as a static extension, it starts before the class's {@code @BeforeAll} methods and
 * stops, with the worker factories made here, after all its tests.
 */
final class DevTemporal implements BeforeAllCallback, AfterAllCallback {
  private final boolean servesWorkerKeys;
  private final List<WorkerFactory> factories = new ArrayList<>();
  private TemporalDevServer server;
  private WorkflowServiceStubs stubs;
  private WorkflowClient client;
  private ScheduleClient schedules;

  private DevTemporal(boolean servesWorkerKeys) {
    this.servesWorkerKeys = servesWorkerKeys;
  }

  /** The server alone: nothing polls its task queues. */
  static DevTemporal server() {
    return new DevTemporal(false);
  }

  /** The server with a running worker that answers the CLI's key question, as the real one does. */
  static DevTemporal servingWorkerKeys() {
    return new DevTemporal(true);
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    server = TemporalDevServer.builder().build().start();
    stubs =
        WorkflowServiceStubs.newServiceStubs(
            WorkflowServiceStubsOptions.newBuilder().setTarget(server.address()).build());
    client =
        WorkflowClient.newInstance(
            stubs,
            WorkflowClientOptions.newBuilder()
                .setNamespace("default")
                .setDataConverter(TestKeys.CONVERTER)
                .build());
    schedules = ScheduleCommand.schedules(client);
    if (servesWorkerKeys) {
      WorkerFactory keys = workers();
      TestKeys.serveWorkerKeys(keys);
      keys.start();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    factories.forEach(WorkerFactory::shutdownNow);
    factories.clear();
    if (stubs != null) {
      stubs.shutdownNow();
    }
    if (server != null) {
      server.close();
    }
  }

  WorkflowClient client() {
    return client;
  }

  ScheduleClient schedules() {
    return schedules;
  }

  /** What the CLI under test is configured with: this server's address and the test keys. */
  Map<String, String> cliEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("TEMPORAL_ADDRESS", server.address());
    TestKeys.addCliKeys(env);
    return env;
  }

  /** A worker factory on this server, not started yet; it stops when this does. */
  WorkerFactory workers() {
    WorkerFactory factory = WorkerFactory.newInstance(client);
    factories.add(factory);
    return factory;
  }

  /** Polls these workflow types on the rotation task queue until the returned handle closes. */
  Running runWorkflows(Class<?>... workflowTypes) {
    WorkerFactory factory = WorkerFactory.newInstance(client);
    factory
        .newWorker(KeyRotationWorkflow.TASK_QUEUE)
        .registerWorkflowImplementationTypes(workflowTypes);
    factory.start();
    return factory::shutdownNow;
  }

  /** A worker that stops when closed. */
  interface Running extends AutoCloseable {
    @Override
    void close();
  }

  /** The ids of the schedules the server lists (the list trails creates by a moment). */
  Set<String> scheduleIds() {
    try (var s = schedules.listSchedules(null)) {
      return s.map(ScheduleListDescription::getScheduleId).collect(Collectors.toSet());
    }
  }

  /** Deletes every schedule, and waits until the list shows none, for a test to start afresh. */
  void deleteSchedules() throws InterruptedException {
    for (String id : scheduleIds()) {
      schedules.getHandle(id).delete();
    }
    await(() -> scheduleIds().isEmpty(), "schedules of earlier tests to be gone");
  }

  /** Waits up to 15 s for {@code condition}, which a busy server may take to meet. */
  static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (System.nanoTime() < deadline) {
      if (condition.getAsBoolean()) {
        return;
      }
      Thread.sleep(100);
    }
    throw new AssertionError("timed out waiting for " + what);
  }
}
