package io.keyturn.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.ProviderDeployment;
import io.keyturn.workflows.model.ProviderKey;
import io.keyturn.workflows.model.ProviderKeyPhase;
import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProviderKeyResult;
import io.keyturn.workflows.model.ProviderKeyStatus;
import io.keyturn.workflows.model.SealedSecret;
import io.keyturn.workflows.provider.ProviderTypes;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The provider-key rotation against an in-memory proxy and provider ({@link FakeWorld}): the order
 * of its steps (nothing removed before the new deployment answered, the old key revoked only after
 * its deployment is gone), the manual hand-over and deadline, and the rollbacks.
 */
class ProviderKeyRotationWorkflowTest {
  static final String GW = "http://litellm.test:4000";
  static final String BASE = "http://provider.test/v1";

  TestWorkflowEnvironment env;
  final WorkerKeyring keyring = WorkerKeyring.generate();
  final FakeWorld world = new FakeWorld();

  @AfterEach
  void close() {
    if (env != null) {
      env.close();
    }
  }

  static ProviderKeyRequest request(String provider, Duration grace) {
    return new ProviderKeyRequest(
        "chat",
        GW,
        "gpt-4o-mini",
        provider,
        Map.of("project", "proj_test"),
        Duration.ZERO,
        grace,
        Duration.ofHours(2),
        "test");
  }

  ProviderKeyRotationWorkflow start(ProviderKeyRequest req) {
    startWorker();
    ProviderKeyRotationWorkflow wf =
        env.getWorkflowClient()
            .newWorkflowStub(
                ProviderKeyRotationWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(req.workflowId())
                    .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                    .build());
    WorkflowClient.start(wf::rotate, req, List.of("master-key/prod"));
    return wf;
  }

  void startWorker() {
    env = Fixtures.withSearchAttributes(TestWorkflowEnvironment.newInstance());
    Worker w = env.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    w.registerWorkflowImplementationTypes(
        ProviderKeyRotationWorkflowImpl.class, ProviderKeyLauncherWorkflowImpl.class);
    w.registerActivitiesImplementations(world);
    env.start();
  }

  /**
   * What a schedule starts: the launcher, under the schedule's own id for this run. Started, not
   * executed: waiting on its result would let time skip (to the key's deadline).
   */
  WorkflowStub launch(ProviderKeyRequest req, String runId) {
    ProviderKeyLauncherWorkflow l =
        env.getWorkflowClient()
            .newWorkflowStub(
                ProviderKeyLauncherWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setWorkflowId("launch/" + req.workflowId() + "/scheduled-" + runId)
                    .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                    .build());
    WorkflowClient.start(l::launch, req);
    // Read through a client without the test's time locking: a result read through the test's
    // client lets time skip while it waits, which would run out the key's deadline.
    return WorkflowClient.newInstance(
            env.getWorkflowServiceStubs(),
            io.temporal.client.WorkflowClientOptions.newBuilder()
                .setNamespace(env.getNamespace())
                .build())
        .newUntypedWorkflowStub("launch/" + req.workflowId() + "/scheduled-" + runId);
  }

  /** Advances time in small steps until {@code run} closes (at most {@code limit}). */
  void untilClosed(WorkflowStub run, Duration limit) {
    for (Duration d = Duration.ZERO; d.compareTo(limit) < 0; d = d.plusSeconds(1)) {
      if (run.describe().getStatus()
          != io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        return;
      }
      env.sleep(Duration.ofSeconds(1));
    }
  }

  ProviderKeyRotationWorkflow running(ProviderKeyRequest req) {
    return env.getWorkflowClient()
        .newWorkflowStub(ProviderKeyRotationWorkflow.class, req.workflowId());
  }

  ProviderKeyResult result(ProviderKeyRequest req) {
    return WorkflowStub.fromTyped(
            env.getWorkflowClient()
                .newWorkflowStub(ProviderKeyRotationWorkflow.class, req.workflowId()))
        .getResult(ProviderKeyResult.class);
  }

  String history(ProviderKeyRequest req) {
    return env.getWorkflowClient().fetchHistory(req.workflowId()).toJson(false);
  }

  @Test
  void openaiRotationAddsVerifiesRemovesOldThenRevokesOldKey() {
    ProviderKeyRequest req = request("openai", Duration.ofHours(1));
    start(req);
    ProviderKeyResult r = result(req);

    assertThat(world.deployments.keySet()).containsExactly(r.newDeployment());
    assertThat(r.removedDeployments()).containsExactly("old-1");
    assertThat(world.calls)
        .containsSubsequence(
            "preflight",
            "create",
            "verifyAtProvider",
            "add " + r.newDeployment(),
            "verifyDeployment " + r.newDeployment(),
            "delete old-1",
            "revoke svc_old");
    assertThat(world.liveKeys).doesNotContain("svc_old");
    assertThat(r.summary()).contains("revoked at the provider").contains(r.newKey());
    // only the sealed value and fingerprints: never the key
    assertThat(history(req)).doesNotContain(world.lastCreatedValue);
  }

  @Test
  void manualRotationWaitsForItsKeyThenForTheRevokeConfirmation() {
    ProviderKeyRequest req = request("manual", Duration.ZERO);
    ProviderKeyRotationWorkflow wf = start(req);
    env.sleep(Duration.ofMinutes(5));
    ProviderKeyStatus s = wf.status();
    assertThat(s.phase()).isEqualTo(ProviderKeyPhase.AWAITING_KEY);
    assertThat(s.awaitingKey()).isTrue();
    assertThat(s.keyDeadline()).isNotNull();
    assertThat(s.detail()).contains("keyturn provide provider-key/gpt-4o-mini");
    assertThat(world.calls).doesNotContain("create");

    String handed = "sk-proj-handed-in-" + "z".repeat(20);
    world.providerAccepts.add(handed);
    wf.provide(keyring.seal(handed), "alice");
    env.sleep(Duration.ofMinutes(1));
    s = wf.status();
    assertThat(s.phase()).isEqualTo(ProviderKeyPhase.AWAITING_REVOKE_CONFIRMATION);
    assertThat(s.awaitingRevokeConfirmation()).isTrue();
    assertThat(world.deployments).doesNotContainKey("old-1").hasSize(1);
    wf.confirmRevoked("alice");
    ProviderKeyResult r = result(req);
    assertThat(r.newKey()).isEqualTo(KeyMaterial.ref(handed).fingerprint());
    assertThat(r.summary()).contains("confirmed by alice");
    assertThat(history(req)).doesNotContain(handed);
  }

  /**
   * A Bedrock deployment rotated by hand: the pair handed in as JSON is shown by its access key id
   * only, a value that is not a pair is refused and the rotation waits on, and neither secret
   * enters history.
   */
  @Test
  void aManualAwsPairIsShownByItsAccessKeyIdAndAValueOfAnotherShapeIsRefused() {
    ProviderKeyRequest req =
        new ProviderKeyRequest(
            "bedrock",
            GW,
            "gpt-4o-mini",
            "manual",
            Map.of("keyShape", "aws-access-key", "region", "us-east-1"),
            Duration.ZERO,
            Duration.ZERO,
            Duration.ofHours(2),
            "test");
    ProviderKeyRotationWorkflow wf = start(req);
    env.sleep(Duration.ofMinutes(5));

    String notAPair = "sk-not-a-pair-" + "n".repeat(20);
    wf.provide(keyring.seal(notAPair), "alice");
    env.sleep(Duration.ofMinutes(1));
    ProviderKeyStatus s = wf.status();
    assertThat(s.phase()).isEqualTo(ProviderKeyPhase.AWAITING_KEY);
    assertThat(s.detail())
        .contains("was refused")
        .contains("aws_access_key_id")
        .doesNotContain("nnnn");
    assertThat(world.calls).doesNotContain("verifyAtProvider");

    String secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "S3cr3tEnd";
    String pair =
        "{\"aws_access_key_id\":\"AKIAIOSFODNN7EXAMPLE\",\"aws_secret_access_key\":\""
            + secret
            + "\"}";
    world.providerAccepts.add(pair);
    wf.provide(keyring.seal(pair), "alice");
    env.sleep(Duration.ofMinutes(1));
    assertThat(wf.status().phase()).isEqualTo(ProviderKeyPhase.AWAITING_REVOKE_CONFIRMATION);
    wf.confirmRevoked("alice");
    ProviderKeyResult r = result(req);

    assertThat(r.newKey()).startsWith("AKIA…MPLE #");
    assertThat(r.summary()).contains("AKIA…MPLE");
    String history = history(req);
    assertThat(history).doesNotContain(secret).doesNotContain("S3cr3tEnd").doesNotContain(notAPair);
  }

  @Test
  void manualRotationWithoutAKeyFailsAtItsDeadlineChangingNothing() {
    ProviderKeyRequest req = request("manual", Duration.ZERO);
    start(req);
    assertThatThrownBy(() -> result(req))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .hasMessageContaining("no key was provided before")
        .hasMessageContaining("nothing changed");
    assertThat(world.deployments.keySet()).containsExactly("old-1");
  }

  @Test
  void aKeyTheProviderRefusesChangesNothingAtTheProxyAndIsRevoked() {
    world.refuseAtProvider = true;
    ProviderKeyRequest req = request("openai", Duration.ZERO);
    start(req);
    assertThatThrownBy(() -> result(req))
        .rootCause()
        .hasMessageContaining("the provider did not accept the new key")
        .hasMessageContaining("Nothing changed at the proxy");
    assertThat(world.deployments.keySet()).containsExactly("old-1");
    assertThat(world.calls).noneMatch(c -> c.startsWith("add "));
    assertThat(world.liveKeys).containsExactly("svc_old");
  }

  @Test
  void aNewDeploymentThatDoesNotAnswerIsRolledBackAndTheOldOneServes() {
    world.newDeploymentSick = true;
    ProviderKeyRequest req = request("openai", Duration.ZERO);
    ProviderKeyRotationWorkflow wf = start(req);
    assertThatThrownBy(() -> result(req))
        .rootCause()
        .hasMessageContaining("ROLLED BACK")
        .hasMessageContaining("old deployment(s) [old-1] still serve");
    assertThat(world.deployments.keySet()).containsExactly("old-1");
    assertThat(world.liveKeys).containsExactly("svc_old");
    assertThat(wf.status().phase()).isEqualTo(ProviderKeyPhase.ROLLED_BACK);
  }

  @Test
  void aRollbackDuringTheOverlapDeletesTheNewDeploymentAndRevokesTheNewKey() {
    ProviderKeyRequest base = request("openai", Duration.ZERO);
    ProviderKeyRequest req =
        new ProviderKeyRequest(
            base.id(),
            GW,
            base.modelGroup(),
            "openai",
            base.settings(),
            Duration.ofHours(1),
            Duration.ZERO,
            base.keyDeadline(),
            "test");
    ProviderKeyRotationWorkflow wf = start(req);
    env.sleep(Duration.ofMinutes(1));
    assertThat(wf.status().phase()).isEqualTo(ProviderKeyPhase.OVERLAP);
    assertThat(world.deployments).hasSize(2);
    wf.rollback("bob");
    assertThatThrownBy(() -> result(req))
        .rootCause()
        .hasMessageContaining("rollback asked by bob")
        .hasMessageContaining("was revoked at the provider");
    assertThat(world.deployments.keySet()).containsExactly("old-1");
    assertThat(world.liveKeys).containsExactly("svc_old");
  }

  @Test
  void aModelGroupTheProxyLacksFailsAtPreflight() {
    world.deployments.clear();
    ProviderKeyRequest req = request("openai", Duration.ZERO);
    start(req);
    assertThatThrownBy(() -> result(req))
        .rootCause()
        .hasMessageContaining("preflight failed, nothing changed")
        .hasMessageContaining("no stored deployment of model group");
    assertThat(world.calls).containsExactly("preflight");
  }

  @Test
  void aScheduledManualRotationRunsUnderTheGroupsIdWaitsForItsKeyAndASecondLaunchIsRefused() {
    ProviderKeyRequest req = request("manual", Duration.ZERO);
    startWorker();
    WorkflowStub first = launch(req, "1");
    env.sleep(Duration.ofMinutes(5));
    ProviderKeyStatus s = running(req).status();
    assertThat(s.phase()).isEqualTo(ProviderKeyPhase.AWAITING_KEY);
    assertThat(s.keyDeadline()).isNotNull();
    assertThat(s.detail()).contains("keyturn provide provider-key/gpt-4o-mini");

    WorkflowStub second = launch(req, "2");
    untilClosed(second, Duration.ofMinutes(1));
    assertThatThrownBy(() -> second.getResult(ProviderKeyResult.class))
        .isInstanceOf(WorkflowFailedException.class)
        .rootCause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(RotationFailures.ALREADY_RUNNING))
        .hasMessageContaining("provider-key/gpt-4o-mini")
        .hasMessageContaining("keyturn provider-status provider-key/gpt-4o-mini");
    assertThat(world.calls).containsOnlyOnce("preflight");

    String handed = "sk-proj-scheduled-" + "y".repeat(20);
    world.providerAccepts.add(handed);
    running(req).provide(keyring.seal(handed), "alice");
    env.sleep(Duration.ofMinutes(1));
    running(req).confirmRevoked("alice");
    ProviderKeyResult r = first.getResult(ProviderKeyResult.class);
    assertThat(r.newKey()).isEqualTo(KeyMaterial.ref(handed).fingerprint());
    assertThat(world.deployments.keySet()).containsExactly(r.newDeployment());
  }

  @Test
  void aScheduledManualRotationWithoutAKeyFailsAtItsDeadlineChangingNothing() {
    ProviderKeyRequest req = request("manual", Duration.ZERO);
    startWorker();
    WorkflowStub run = launch(req, "1");
    env.sleep(req.keyDeadline().plusMinutes(1));
    assertThatThrownBy(() -> run.getResult(ProviderKeyResult.class))
        .rootCause()
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderKeyFailures.NO_KEY_IN_TIME))
        .hasMessageContaining("no key was provided before");
    assertThat(world.deployments.keySet()).containsExactly("old-1");
    assertThat(world.calls).containsExactly("preflight");
  }

  /** The proxy's deployments and the provider's keys, in memory. */
  final class FakeWorld implements ProviderKeyActivities {
    final Map<String, ProviderDeployment> deployments = new LinkedHashMap<>();
    final Set<String> liveKeys = ConcurrentHashMap.newKeySet();
    final Set<String> providerAccepts = ConcurrentHashMap.newKeySet();
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    volatile boolean refuseAtProvider;
    volatile boolean newDeploymentSick;
    volatile String lastCreatedValue = "none";
    int n;

    FakeWorld() {
      deployments.put(
          "old-1", new ProviderDeployment("old-1", "openai/gpt-4o-mini", BASE, "svc_old"));
      liveKeys.add("svc_old");
    }

    @Override
    public List<ProviderDeployment> preflight(ProviderKeyRequest r, List<String> masterKeys) {
      calls.add("preflight");
      if (deployments.isEmpty()) {
        throw ApplicationFailure.newNonRetryableFailure(
            "no stored deployment of model group '" + r.modelGroup() + "'",
            ProviderKeyFailures.NO_SUCH_MODEL_GROUP);
      }
      return List.copyOf(deployments.values());
    }

    @Override
    public ProviderKey createKey(ProviderKeyRequest r, String name) {
      calls.add("create");
      String id = "svc_new_" + (++n);
      lastCreatedValue = "sk-proj-created-" + id + "-" + "q".repeat(16);
      liveKeys.add(id);
      providerAccepts.add(lastCreatedValue);
      return new ProviderKey(KeyMaterial.ref(lastCreatedValue), keyring.seal(lastCreatedValue), id);
    }

    /** As the worker's: shown as the request's provider shows its keys; another shape refused. */
    @Override
    public ProviderKey describeProvided(ProviderKeyRequest r, SealedSecret sealed) {
      calls.add("describe");
      String value = keyring.open(sealed);
      try {
        String shown = ProviderTypes.get(r.provider()).keyShape(r.settings()).displayName(value);
        return new ProviderKey(new KeyRef(KeyMaterial.tokenHash(value), shown), sealed, null);
      } catch (IllegalArgumentException e) {
        throw ApplicationFailure.newNonRetryableFailure(
            e.getMessage(), ProviderKeyFailures.KEY_REJECTED);
      }
    }

    @Override
    public void verifyAtProvider(ProviderKeyRequest r, String apiBase, ProviderKey key) {
      calls.add("verifyAtProvider");
      if (refuseAtProvider || !providerAccepts.contains(keyring.open(key.sealed()))) {
        throw ApplicationFailure.newNonRetryableFailure(
            "HTTP 401", ProviderKeyFailures.KEY_REJECTED);
      }
    }

    @Override
    public String addDeployment(
        ProviderKeyRequest r, ProviderDeployment like, ProviderKey key, String id) {
      calls.add("add " + id);
      deployments.put(
          id, new ProviderDeployment(id, like.litellmModel(), like.apiBase(), key.providerId()));
      return id;
    }

    @Override
    public void verifyDeployment(String gateway, String id) {
      calls.add("verifyDeployment " + id);
      if (newDeploymentSick) {
        throw ApplicationFailure.newNonRetryableFailure(
            "deployment " + id + " did not answer", ProviderKeyFailures.KEY_REJECTED);
      }
    }

    @Override
    public String deleteDeployment(String gateway, String id) {
      calls.add("delete " + id);
      // the old key may be revoked only once no deployment uses it
      return deployments.remove(id) == null ? "gone" : "deleted";
    }

    @Override
    public List<String> earlierKeys(ProviderKeyRequest r, String newKeyId) {
      return List.of();
    }

    @Override
    public String revokeKey(ProviderKeyRequest r, String providerId) {
      calls.add("revoke " + providerId);
      assertThat(deployments.values()).noneMatch(d -> providerId.equals(d.providerKeyId()));
      liveKeys.remove(providerId);
      return providerId + " revoked";
    }
  }
}
