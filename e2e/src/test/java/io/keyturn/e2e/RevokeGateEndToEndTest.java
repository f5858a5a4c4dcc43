package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.client.WorkflowStub;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The gates a rotation passes before it revokes its old key, on the real dev server and worker
 * process: the drain gate holds the revoke while the old key still carries traffic (the emulator
 * records use as LiteLLM does: a request sets the key's {@code last_active}) and releases it when
 * the traffic stops; the management-key gate revokes Keyturn's own old management key only once the
 * worker reads the new one, while other rotations keep running on it.
 */
class RevokeGateEndToEndTest extends OnE2eStack {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** A chat completion made with {@code key}; its status. */
  static int complete(String key) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(litellm.baseUrl() + "/chat/completions"))
            .header("Authorization", "Bearer " + key)
            .header("content-type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
            .build();
    return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  static Path config(String id, String drain) throws Exception {
    return file(
        id + ".yaml",
        """
        apiVersion: keyturn/v1
        secrets:
          - id: %s
            gateway: {url: %s}
            currentKey: {file: %s.key}
            destinations:
              - {type: vault-kv2, name: %s}
            schedule: {every: 1h}
            grace: 2s
            drain: %s
        """
            .formatted(id, litellm.baseUrl(), id, id, drain));
  }

  static KeyRotationWorkflow rotation(String id) {
    return client.newWorkflowStub(KeyRotationWorkflow.class, "rotation/" + id);
  }

  /** The rotation's status once {@code until} holds, polled for up to {@code within}. */
  static RotationStatus awaitStatus(String id, Predicate<RotationStatus> until, Duration within)
      throws Exception {
    Instant deadline = Instant.now().plus(within);
    RotationStatus last = null;
    while (Instant.now().isBefore(deadline)) {
      try {
        last = rotation(id).status();
        if (until.test(last)) {
          return last;
        }
      } catch (RuntimeException notStartedYet) {
        // the launcher has not started the rotation yet
      }
      Thread.sleep(300);
    }
    throw new AssertionError("rotation/" + id + " did not get there in " + within + ": " + last);
  }

  @Test
  void aDrainHoldKeepsTheOldKeyWhileItCarriesTrafficAndReleasesWhenTrafficStops() throws Exception {
    String old = litellm.createKey(Map.of("key_alias", "app-d", "models", List.of("gpt-4o-mini")));
    file("app-d.key", old);
    Path yaml = config("app-d", "{usedWithin: 6s, recheckEvery: 2s, maxHold: 10m, onLimit: wait}");
    Cli.Result apply = keyturn("apply", "-f", yaml.toString());
    assertThat(apply.exit()).as(apply.out() + apply.err()).isZero();

    // A client that never picked up the new key: one request a second with the old one.
    AtomicBoolean traffic = new AtomicBoolean(true);
    AtomicInteger refused = new AtomicInteger();
    Thread client =
        new Thread(
            () -> {
              while (traffic.get()) {
                try {
                  if (complete(old) != 200) {
                    refused.incrementAndGet();
                  }
                  Thread.sleep(1000);
                } catch (InterruptedException e) {
                  return;
                } catch (Exception e) {
                  refused.incrementAndGet();
                }
              }
            },
            "old-key-client");
    client.setDaemon(true);
    client.start();
    try {
      Cli.Result now = keyturn("rotate-now", "app-d");
      assertThat(now.exit()).as(now.out() + now.err()).isZero();

      RotationStatus held =
          awaitStatus("app-d", s -> s.phase() == RotationPhase.REVOKE_HELD, Duration.ofSeconds(90));
      assertThat(held.message())
          .contains("REVOKE HELD")
          .contains(KeyMaterial.ref(old).fingerprint())
          .doesNotContain(old);
      Cli.Result status = keyturn("status", "rotation/app-d");
      assertThat(status.exit()).as(status.out() + status.err()).isZero();
      assertThat(status.out()).contains("REVOKE_HELD").contains("REVOKE HELD").doesNotContain(old);

      // Still held a few rechecks later: the old key keeps working for its client.
      Thread.sleep(6000);
      assertThat(rotation("app-d").status().phase()).isEqualTo(RotationPhase.REVOKE_HELD);
      assertThat(litellm.liveKeys())
          .anyMatch(k -> k.tokenHash().equals(KeyMaterial.tokenHash(old)));
      assertThat(refused.get()).as("requests refused while held").isZero();
    } finally {
      traffic.set(false);
      client.join(5000);
    }
    Instant stopped = Instant.now();

    RotationResult result =
        WorkflowStub.fromTyped(rotation("app-d")).getResult(RotationResult.class);
    Instant revoked = Instant.now();
    assertThat(Duration.between(stopped, revoked))
        .as("released only once the key was unused for usedWithin (6s)")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(4));
    assertThat(result.revoked().key().tokenHash()).isEqualTo(KeyMaterial.tokenHash(old));
    RotationStatus done = rotation("app-d").status();
    assertThat(done.phase()).isEqualTo(RotationPhase.COMPLETED);
    assertThat(done.message()).contains("held revoke was released");
    assertThat(complete(old)).as("the old key after revoke").isEqualTo(401);
    assertThat(keyturn("pause", "app-d", "--reason", "test done").exit()).isZero();
  }

  /** Every rotation run of {@code id} (the workflow id is the same for all of them). */
  static List<WorkflowExecutionInfo> runs(String id) {
    return stubs
        .blockingStub()
        .listWorkflowExecutions(
            ListWorkflowExecutionsRequest.newBuilder()
                .setNamespace("default")
                .setQuery("WorkflowId = 'rotation/" + id + "' AND WorkflowType = 'KeyRotation'")
                .build())
        .getExecutionsList();
  }

  static boolean running(WorkflowExecutionInfo e) {
    return e.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  /** {@code GET /key/info} of the caller's own key: 200 while the proxy accepts it. */
  static int selfInfo(String key) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(litellm.baseUrl() + "/key/info"))
            .header("Authorization", "Bearer " + key)
            .GET()
            .build();
    return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void theManagementKeyIsRotatedWhileOtherRotationsRunAndTheOldOneIsRefusedAfterwards()
      throws Exception {
    // The worker runs on a scoped proxy_admin key, read from its LITELLM_MASTER_KEY_FILE.
    String oldMgmt =
        litellm.createKey(
            Map.of(
                "key_alias",
                "keyturn-mgmt",
                "user_id",
                "keyturn-rotator",
                "allowed_routes",
                List.of("/key/generate", "/key/delete", "/key/info", "/health/readiness")));
    Path workerKeyFile = dir.resolve("master.key");
    file("master.key", oldMgmt);
    for (String app : List.of("app-m1", "app-m2")) {
      file(app + ".key", litellm.createKey(Map.of("key_alias", app)));
    }
    Path yaml =
        file(
            "mgmt.yaml",
            """
            apiVersion: keyturn/v1
            secrets:
              - id: mgmt
                kind: management-key
                gateway: {url: %1$s}
                currentKey: {file: master.key}
                destinations:
                  - {type: file, path: master.key, format: raw}
                schedule: {every: 1h}
                grace: 3s
              - id: app-m1
                gateway: {url: %1$s}
                currentKey: {file: app-m1.key}
                destinations:
                  - {type: vault-kv2, name: app-m1}
                schedule: {every: 3s}
                grace: 1s
              - id: app-m2
                gateway: {url: %1$s}
                currentKey: {file: app-m2.key}
                destinations:
                  - {type: vault-kv2, name: app-m2}
                schedule: {every: 3s}
                grace: 1s
            """
                .formatted(litellm.baseUrl()));
    Cli.Result apply = keyturn("apply", "-f", yaml.toString());
    assertThat(apply.exit()).as(apply.out() + apply.err()).isZero();

    // Let the application rotations get going on the old management key, then rotate it.
    Thread.sleep(4000);
    Cli.Result now = keyturn("rotate-now", "mgmt");
    assertThat(now.exit()).as(now.out() + now.err()).isZero();
    awaitStatus("mgmt", s -> s.phase() == RotationPhase.COMPLETED, Duration.ofSeconds(120));
    RotationResult mgmt = WorkflowStub.fromTyped(rotation("mgmt")).getResult(RotationResult.class);
    Instant mgmtDone = Instant.now();

    String newMgmt = Files.readString(workerKeyFile).strip();
    assertThat(newMgmt).isNotEqualTo(oldMgmt).startsWith("sk-");
    assertThat(KeyMaterial.ref(newMgmt)).isEqualTo(mgmt.newKey());
    assertThat(selfInfo(oldMgmt)).as("the old management key after the rotation").isEqualTo(401);
    assertThat(selfInfo(newMgmt)).as("the new management key").isEqualTo(200);
    assertThat(litellm.liveKeys())
        .filteredOn(k -> k.tokenHash().equals(KeyMaterial.tokenHash(newMgmt)))
        .singleElement()
        .satisfies(
            k -> {
              assertThat(k.userId()).isEqualTo("keyturn-rotator");
              assertThat(k.allowedRoutes())
                  .containsExactly(
                      "/key/generate", "/key/delete", "/key/info", "/health/readiness");
            });

    // The application rotations go on, now on the new key; then they stop.
    Thread.sleep(8000);
    for (String app : List.of("app-m1", "app-m2")) {
      assertThat(keyturn("pause", app, "--reason", "test done").exit()).isZero();
    }
    assertThat(keyturn("pause", "mgmt", "--reason", "test done").exit()).isZero();
    Instant deadline = Instant.now().plusSeconds(60);
    while (Instant.now().isBefore(deadline)
        && (runs("app-m1").stream().anyMatch(RevokeGateEndToEndTest::running)
            || runs("app-m2").stream().anyMatch(RevokeGateEndToEndTest::running))) {
      Thread.sleep(500);
    }
    for (String app : List.of("app-m1", "app-m2")) {
      List<WorkflowExecutionInfo> all = runs(app);
      assertThat(all)
          .as("every rotation of %s completed (none failed for authentication)", app)
          .isNotEmpty()
          .allMatch(
              e -> e.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
      assertThat(all)
          .as("%s rotated after the management key was replaced", app)
          .anyMatch(e -> e.getStartTime().getSeconds() > mgmtDone.getEpochSecond());
      assertThat(all)
          .as("%s rotated before the management key was replaced", app)
          .anyMatch(e -> e.getStartTime().getSeconds() < mgmtDone.getEpochSecond() - 3);
    }
    String log = Files.readString(dir.resolve("worker.log"));
    assertThat(log).doesNotContain(oldMgmt).doesNotContain(newMgmt);
  }
}
