package io.keyturn.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.MasterKey;
import io.keyturn.workflows.model.MasterKeyPhase;
import io.keyturn.workflows.model.MasterKeyPreflight;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.MasterKeyResult;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RestartSpec;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowFailedException;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.failure.ApplicationFailure;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The master-key rotation against an in-memory proxy and stores ({@link FakeProxy}): the order of
 * its steps, the salt-key path, the restart modes, the rollback, and what it says when it stops.
 */
class MasterKeyRotationWorkflowTest {
  static final String GW = "http://litellm.test:4000";
  static final Destination VAULT = new Destination("vault-kv2", Map.of("name", "litellm-master"));
  static final Destination FILE =
      new Destination(
          "file", Map.of("path", "/etc/litellm/master.env", "field", "LITELLM_MASTER_KEY"));
  static final String OLD_RAW = "sk-old-master-" + "x".repeat(30);

  TestWorkflowEnvironment env;
  final WorkerKeyring keyring = WorkerKeyring.generate();
  final FakeProxy proxy = new FakeProxy();

  @AfterEach
  void close() {
    if (env != null) {
      env.close();
    }
  }

  MasterKeyRotationWorkflow start(MasterKeyRequest req) {
    env = Fixtures.withSearchAttributes(TestWorkflowEnvironment.newInstance());
    Worker w = env.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    w.registerWorkflowImplementationTypes(MasterKeyRotationWorkflowImpl.class);
    w.registerActivitiesImplementations(proxy);
    env.start();
    MasterKeyRotationWorkflow wf =
        env.getWorkflowClient()
            .newWorkflowStub(
                MasterKeyRotationWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(req.workflowId())
                    .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                    .build());
    return wf;
  }

  static MasterKeyRequest request(boolean salt, RestartSpec restart) {
    return new MasterKeyRequest("prod", GW, List.of(VAULT, FILE), salt, restart, "test");
  }

  @Test
  void webhookRotationReencryptsPublishesRestartsAndVerifies() {
    MasterKeyRequest req = request(false, RestartSpec.webhook("http://restart.test/hook"));
    MasterKeyResult r = start(req).rotate(req);
    assertThat(proxy.calls)
        .containsExactly(
            "preflight",
            "generate",
            "mintProbe",
            "reencrypt old->new",
            "publish vault-kv2 new",
            "publish file new",
            "restartWebhook",
            "awaitAccepted new",
            "verify",
            "deleteProbe");
    assertThat(proxy.running).isEqualTo(proxy.newRaw);
    assertThat(proxy.storedUnder).isEqualTo(proxy.newRaw);
    assertThat(proxy.stores.values()).containsOnly(proxy.newRaw);
    assertThat(r.newKey()).isEqualTo(KeyMaterial.ref(proxy.newRaw).fingerprint());
    assertThat(r.summary()).contains("rotated");
    assertNoKeyInHistory(req);
  }

  static final io.keyturn.workflows.model.RestartTarget OPERATOR =
      new io.keyturn.workflows.model.RestartTarget(
          "litellm-operator", "litellm-operator-system", null);

  @Test
  void theOperatorsDeploymentIsRestartedOnceTheProxyRunsTheNewKey() {
    MasterKeyRequest req =
        new MasterKeyRequest(
            "prod",
            GW,
            List.of(VAULT, FILE),
            false,
            RestartSpec.webhook("http://restart.test/hook"),
            "test",
            List.of(OPERATOR));
    MasterKeyResult r = start(req).rotate(req);
    assertThat(proxy.calls)
        .containsSubsequence("restartWebhook", "awaitAccepted new", "restartKubernetes", "verify");
    assertThat(proxy.deployments).containsExactly("litellm-operator");
    assertThat(r.summary()).doesNotContain("NOT RESTARTED");
    assertNoKeyInHistory(req);
  }

  @Test
  void anOperatorThatDoesNotRestartIsNamedWithTheFixAndTheRotationStands() {
    proxy.refuseDeployment = "litellm-operator";
    MasterKeyRequest req =
        new MasterKeyRequest(
            "prod",
            GW,
            List.of(VAULT, FILE),
            false,
            RestartSpec.webhook("http://restart.test/hook"),
            "test",
            List.of(OPERATOR));
    MasterKeyResult r = start(req).rotate(req);
    assertThat(proxy.running).isEqualTo(proxy.newRaw);
    assertThat(r.summary())
        .contains("NOT RESTARTED: deployment litellm-operator-system/litellm-operator")
        .contains("kubectl rollout restart deployment/litellm-operator -n litellm-operator-system");
  }

  @Test
  void saltKeyDeploymentNeverReencrypts() {
    MasterKeyRequest req = request(true, RestartSpec.webhook("http://restart.test/hook"));
    start(req).rotate(req);
    assertThat(proxy.calls).doesNotContain("reencrypt old->new");
    assertThat(proxy.storedUnder).isEqualTo(FakeProxy.SALT);
    assertThat(proxy.running).isEqualTo(proxy.newRaw);
  }

  @Test
  void verifyFailureRollsBackToTheOldKeyEverywhere() {
    proxy.verifyProblems = List.of("stored model db-1 no longer answers");
    MasterKeyRequest req = request(false, RestartSpec.webhook("http://restart.test/hook"));
    MasterKeyRotationWorkflow wf = start(req);
    assertThatThrownBy(() -> wf.rotate(req))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(MasterKeyFailures.ROLLED_BACK);
              assertThat(f.getOriginalMessage())
                  .contains("ROLLED BACK", "proxy runs the old key", "every destination holds it");
            });
    assertThat(proxy.calls)
        .containsSubsequence(
            "verify",
            "reencrypt new->old",
            "publish vault-kv2 old",
            "publish file old",
            "restartWebhook",
            "awaitAccepted old",
            "deleteProbe");
    assertThat(proxy.running).isEqualTo(OLD_RAW);
    assertThat(proxy.storedUnder).isEqualTo(OLD_RAW);
    assertThat(proxy.stores.values()).containsOnly(OLD_RAW);
    assertThat(wf.status().phase()).isEqualTo(MasterKeyPhase.ROLLED_BACK);
  }

  @Test
  void preflightRefusalChangesNothing() {
    proxy.preflightRefusal = MasterKeyFailures.MASTER_KEY_REFUSED;
    MasterKeyRequest req = request(false, RestartSpec.webhook("http://restart.test/hook"));
    MasterKeyRotationWorkflow wf = start(req);
    assertThatThrownBy(() -> wf.rotate(req))
        .rootCause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(MasterKeyFailures.MASTER_KEY_REFUSED);
              assertThat(f.getOriginalMessage()).contains("NOTHING CHANGED");
            });
    assertThat(proxy.calls).containsExactly("preflight");
    assertThat(proxy.stores.values()).containsOnly(OLD_RAW);
  }

  @Test
  void publishFailureAfterReencryptSaysWhichHoldsWhat() {
    proxy.failPublishTo = "file";
    MasterKeyRequest req = request(false, RestartSpec.webhook("http://restart.test/hook"));
    MasterKeyRotationWorkflow wf = start(req);
    assertThatThrownBy(() -> wf.rotate(req))
        .rootCause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(MasterKeyFailures.NEEDS_OPERATOR);
              assertThat(f.getOriginalMessage())
                  .contains("AFTER the proxy's stored values were re-encrypted")
                  .contains("holding the NEW key: " + VAULT.describe())
                  .contains("still holding the OLD key: " + FILE.describe());
            });
    assertThat(proxy.calls).doesNotContain("restartWebhook").contains("deleteProbe");
    assertThat(wf.status().storedValuesUnder())
        .isEqualTo(KeyMaterial.ref(proxy.newRaw).fingerprint());
    assertThat(wf.status().proxyRuns()).isEqualTo(KeyMaterial.ref(OLD_RAW).fingerprint());
  }

  @Test
  void saltKeyPublishFailurePutsTheOldKeyBack() {
    proxy.failPublishTo = "file";
    MasterKeyRequest req = request(true, RestartSpec.webhook("http://restart.test/hook"));
    MasterKeyRotationWorkflow wf = start(req);
    assertThatThrownBy(() -> wf.rotate(req))
        .rootCause()
        .hasMessageContaining("old key was put back");
    assertThat(proxy.stores.values()).containsOnly(OLD_RAW);
    assertThat(proxy.running).isEqualTo(OLD_RAW);
  }

  @Test
  void manualRestartWaitsForConfirmationPastItsDeadline() throws Exception {
    MasterKeyRequest req = request(false, RestartSpec.manual(Duration.ofMinutes(10)));
    MasterKeyRotationWorkflow wf = start(req);
    WorkflowExecution run = WorkflowClient.start(wf::rotate, req);
    WorkflowStub untyped = env.getWorkflowClient().newUntypedWorkflowStub(run.getWorkflowId());
    CompletableFuture<MasterKeyResult> result = untyped.getResultAsync(MasterKeyResult.class);
    waitFor(() -> wf.status().awaitingRestart());
    assertThat(wf.status().detail())
        .contains("RESTART EVERY PROXY REPLICA NOW", "keyturn confirm-restart master-key/prod");
    assertThat(wf.status().storesHold()).isEqualTo(KeyMaterial.ref(proxy.newRaw).fingerprint());
    assertThat(wf.status().proxyRuns()).isEqualTo(KeyMaterial.ref(OLD_RAW).fingerprint());
    env.sleep(Duration.ofMinutes(11));
    waitFor(() -> wf.status().detail().startsWith("OVERDUE"));
    assertThat(result).isNotDone();
    proxy.restart(); // the operator restarts the proxy...
    wf.confirmRestart("operator"); // ...and says so
    MasterKeyResult r = result.get();
    assertThat(r.newKey()).isEqualTo(KeyMaterial.ref(proxy.newRaw).fingerprint());
    assertThat(proxy.calls).doesNotContain("restartWebhook");
  }

  @Test
  void webhookThatDoesNotTakeFallsBackToAnOperator() throws Exception {
    proxy.webhookRestarts = false;
    MasterKeyRequest req = request(false, RestartSpec.webhook("http://restart.test/hook"));
    MasterKeyRotationWorkflow wf = start(req);
    WorkflowExecution run = WorkflowClient.start(wf::rotate, req);
    CompletableFuture<MasterKeyResult> result =
        env.getWorkflowClient()
            .newUntypedWorkflowStub(run.getWorkflowId())
            .getResultAsync(MasterKeyResult.class);
    waitFor(() -> wf.status().awaitingRestart());
    assertThat(wf.status().detail()).contains("did not make the proxy accept");
    proxy.restart();
    wf.confirmRestart("operator");
    assertThat(result.get().newKey()).isNotNull();
  }

  private void assertNoKeyInHistory(MasterKeyRequest req) {
    String history = env.getWorkflowClient().fetchHistory(req.workflowId()).toJson(false);
    assertThat(history).doesNotContain(OLD_RAW).doesNotContain(proxy.newRaw);
    assertThat(history).doesNotContain(proxy.probeRaw == null ? "never" : proxy.probeRaw);
  }

  private void waitFor(java.util.function.BooleanSupplier cond) throws InterruptedException {
    for (int i = 0; i < 200 && !cond.getAsBoolean(); i++) {
      Thread.sleep(50);
    }
    assertThat(cond.getAsBoolean()).as("condition reached").isTrue();
  }

  /** The proxy, its database and the stores, in memory, with the worker's real keyring. */
  final class FakeProxy implements MasterKeyActivities {
    static final String SALT = "salt";
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    final Map<String, String> stores = new LinkedHashMap<>();
    volatile String running = OLD_RAW;
    volatile String storedUnder = OLD_RAW;
    volatile String newRaw;
    volatile String probeRaw;
    volatile boolean salted;
    volatile String preflightRefusal;
    volatile String failPublishTo;
    volatile boolean webhookRestarts = true;
    volatile List<String> verifyProblems = List.of();
    final List<String> deployments = Collections.synchronizedList(new ArrayList<>());
    volatile String refuseDeployment;

    FakeProxy() {
      stores.put("vault-kv2", OLD_RAW);
      stores.put("file", OLD_RAW);
    }

    String open(MasterKey k) {
      return k.sealed() != null ? keyring.open(k.sealed()) : keyring.deriveKey(k.derivation());
    }

    void restart() {
      running = stores.get("vault-kv2");
    }

    @Override
    public MasterKeyPreflight preflight(MasterKeyRequest request) {
      calls.add("preflight");
      salted = request.saltKey();
      if (salted) {
        storedUnder = SALT;
      }
      if (preflightRefusal != null) {
        throw ApplicationFailure.newNonRetryableFailure("refused by the fake", preflightRefusal);
      }
      return new MasterKeyPreflight(
          new MasterKey(KeyMaterial.ref(running), keyring.seal(running), null),
          2,
          List.of("db-1", "db-2"),
          1);
    }

    @Override
    public MasterKey generate(KeyDerivation derivation) {
      calls.add("generate");
      KeyDerivation b = keyring.bind(derivation);
      newRaw = keyring.deriveKey(b);
      return new MasterKey(KeyMaterial.ref(newRaw), null, b);
    }

    @Override
    public MasterKey mintProbe(String gateway, MasterKey admin, KeyDerivation probe) {
      calls.add("mintProbe");
      KeyDerivation b = keyring.bind(probe);
      probeRaw = keyring.deriveKey(b);
      return new MasterKey(KeyMaterial.ref(probeRaw), null, b);
    }

    @Override
    public String deleteProbe(String gateway, List<MasterKey> keys, MasterKey probe) {
      calls.add("deleteProbe");
      return "probe deleted.";
    }

    @Override
    public void reencrypt(String gateway, MasterKey from, MasterKey to) {
      String f = open(from);
      String t = open(to);
      calls.add("reencrypt " + name(f) + "->" + name(t));
      assertThat(f).isEqualTo(running);
      storedUnder = storedUnder.equals(running) ? t : "garbled";
    }

    @Override
    public PublishReceipt publish(Destination d, MasterKey key, String workflowId) {
      String v = open(key);
      if (d.type().equals(failPublishTo) && v.equals(newRaw)) {
        calls.add("publish " + d.type() + " failed");
        throw ApplicationFailure.newNonRetryableFailure(
            "permission denied", RotationFailures.STORE_DENIED);
      }
      calls.add("publish " + d.type() + " " + name(v));
      stores.put(d.type(), v);
      return new PublishReceipt(d.describe(), 1, 0, true);
    }

    @Override
    public void restartWebhook(String url, String workflowId, String reason) {
      calls.add("restartWebhook");
      if (webhookRestarts) {
        restart();
      }
    }

    @Override
    public void restartKubernetes(
        String deployment, String namespace, String context, String workflowId, String stamp) {
      calls.add("restartKubernetes");
      deployments.add(deployment);
      if (deployment.equals(refuseDeployment)) {
        throw ApplicationFailure.newNonRetryableFailure(
            "deployment " + deployment + " does not exist", MasterKeyFailures.RESTART_REFUSED);
      }
      restart();
    }

    @Override
    public void awaitAccepted(String gateway, MasterKey key) {
      String k = open(key);
      if (!k.equals(running)) {
        throw ApplicationFailure.newNonRetryableFailure(
            "not accepted yet", RotationFailures.GATEWAY_UNAUTHORIZED);
      }
      calls.add("awaitAccepted " + name(k));
    }

    @Override
    public List<String> verify(
        String gateway,
        MasterKey expected,
        MasterKey refused,
        MasterKeyPreflight preflight,
        MasterKey probe) {
      calls.add("verify");
      return verifyProblems;
    }

    private String name(String raw) {
      return raw.equals(OLD_RAW) ? "old" : raw.equals(newRaw) ? "new" : "?";
    }
  }
}
