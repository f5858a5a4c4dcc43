package io.keyturn.worker;

import io.keyturn.activities.http.JsonHttp;
import io.keyturn.activities.litellm.LiteLlmActivitiesImpl;
import io.keyturn.activities.litellm.LiteLlmClient;
import io.keyturn.activities.vault.SecretStoreActivitiesImpl;
import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.workflows.FleetRotationWorkflowImpl;
import io.keyturn.workflows.KeyRotationWorkflowImpl;
import io.keyturn.workflows.client.TemporalConnection;
import io.keyturn.workflows.crypto.KeyturnSecret;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts the rotation workflow and its activities on one task queue. Started eagerly with the
 * application context; on shutdown (SIGTERM closes the context) it stops polling and lets running
 * activities finish for up to 30 seconds. Anything unfinished is retried by Temporal on another
 * worker, or on this one after a restart.
 */
@Context
@Requires(property = "keyturn.worker.enabled", notEquals = "false")
public class TemporalWorkerService {
  private static final Logger log = LoggerFactory.getLogger(TemporalWorkerService.class);

  private final WorkerSettings settings;
  private WorkflowServiceStubs stubs;
  private WorkerFactory factory;
  private JsonHttp http;

  public TemporalWorkerService(WorkerSettings settings) {
    this.settings = settings;
  }

  @PostConstruct
  void start() {
    List<String> problems = settings.validate();
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "Keyturn worker cannot start:\n  - " + String.join("\n  - ", problems));
    }
    KeyturnSecret secret = settings.keyturnSecret();
    TemporalConnection conn = settings.temporal();
    http = new JsonHttp(settings.litellmTimeout());
    stubs = conn.openStubs();
    SearchAttributeRegistration.ensure(stubs, conn.namespace());
    WorkflowClient client = conn.client(stubs);
    factory = WorkerFactory.newInstance(client);
    Worker worker = factory.newWorker(settings.taskQueue());
    worker.registerWorkflowImplementationTypes(
        KeyRotationWorkflowImpl.class, FleetRotationWorkflowImpl.class);
    worker.registerActivitiesImplementations(
        new LiteLlmActivitiesImpl(new LiteLlmClient(http, settings.managementKey()), secret),
        new SecretStoreActivitiesImpl(
            new VaultKv2Client(http, settings.vaultAddress(), settings.vaultAuth(http)), secret));
    factory.start();
    log.info(
        "Keyturn worker started: task queue {} on {} (Keyturn secret {}, Vault {} with {})",
        settings.taskQueue(),
        conn,
        secret.keyId(),
        settings.vaultAddress(),
        settings.vaultUsesAppRole() ? "AppRole" : "a token");
  }

  @PreDestroy
  void stop() {
    if (factory == null) {
      return;
    }
    log.info("Keyturn worker stopping: no new tasks; waiting up to 30 s for running activities");
    factory.shutdown();
    factory.awaitTermination(30, TimeUnit.SECONDS);
    stubs.shutdown();
    http.close();
    log.info("Keyturn worker stopped");
  }
}
