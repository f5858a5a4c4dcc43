package io.keyturn.workflows;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.ProviderDeployment;
import io.keyturn.workflows.model.ProviderKey;
import io.keyturn.workflows.model.ProviderKeyPhase;
import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProviderKeyResult;
import io.keyturn.workflows.model.ProxySecretStore;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.SealedSecret;
import io.keyturn.workflows.testing.SecretStoreStandIn;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The provider-key rotation when the proxy reads the key from secret stores ({@code
 * os.environ/NAME}): published to every store, deployments untouched, the old key revoked only
 * after a grace longer than the proxy's cache and a health check through the proxy; before that, a
 * failure puts the old values back and revokes the new key once no proxy can hold it.
 */
class ProviderKeySecretStoreWorkflowTest {
  static final String GW = "http://litellm.test:4000";
  static final String GROUP = "gpt-4o-mini";
  static final Destination VAULT =
      new Destination("vault-kv2", Map.of("name", "OPENAI_API_KEY", "field", "key"));
  static final Destination FILE = new Destination("file", Map.of("path", "/run/openai.key"));
  static final Duration CACHE = Duration.ofHours(1);
  static final String OLD_VALUE = "sk-proj-old-value-" + "o".repeat(20);

  TestWorkflowEnvironment env;
  final WorkerKeyring keyring = WorkerKeyring.generate();
  final Stores stores = new Stores();
  final World world = new World();

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
        GROUP,
        provider,
        Map.of("project", "proj_test"),
        Duration.ZERO,
        grace,
        Duration.ofHours(2),
        "test",
        new ProxySecretStore(List.of(VAULT, FILE), CACHE));
  }

  ProviderKeyRotationWorkflow start(ProviderKeyRequest req) {
    env = Fixtures.withSearchAttributes(TestWorkflowEnvironment.newInstance());
    Worker w = env.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    w.registerWorkflowImplementationTypes(ProviderKeyRotationWorkflowImpl.class);
    w.registerActivitiesImplementations(world, stores);
    env.start();
    ProviderKeyRotationWorkflow wf =
        env.getWorkflowClient()
            .newWorkflowStub(
                ProviderKeyRotationWorkflow.class,
                WorkflowOptions.newBuilder()
                    .setWorkflowId(req.workflowId())
                    .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                    .build());
    WorkflowClient.start(wf::rotate, req, List.of());
    return wf;
  }

  ProviderKeyResult result(ProviderKeyRequest req) {
    return WorkflowStub.fromTyped(
            env.getWorkflowClient()
                .newWorkflowStub(ProviderKeyRotationWorkflow.class, req.workflowId()))
        .getResult(ProviderKeyResult.class);
  }

  long now() {
    return env.currentTimeMillis();
  }

  @Test
  void publishesToEveryStoreLeavesDeploymentsAndRevokesTheOldKeyAfterTheCache() {
    ProviderKeyRequest req = request("openai", Duration.ofHours(2));
    long started;
    start(req);
    started = now();
    ProviderKeyResult r = result(req);

    assertThat(world.calls)
        .containsSubsequence(
            "preflight",
            "create",
            "verifyAtProvider",
            "publish " + VAULT.describe(),
            "publish " + FILE.describe(),
            "verifyDeployment old-1",
            "revoke svc_old")
        .noneMatch(c -> c.startsWith("add ") || c.startsWith("delete "));
    assertThat(stores.values.values()).containsOnly(world.lastCreatedValue);
    assertThat(world.live.keySet()).doesNotContain("svc_old").contains("svc_handmade_other_group");
    assertThat(world.live).containsKey("svc_unrelated").containsKey("svc_other_gateway");
    assertThat(world.revokedAtMillis - started)
        .as("the old key outlives the proxy's cache")
        .isGreaterThan(CACHE.toMillis());
    assertThat(r.newDeployment()).isNull();
    assertThat(r.summary()).contains("were left as they are").contains("revoked at the provider");
    String history = env.getWorkflowClient().fetchHistory(req.workflowId()).toJson(false);
    assertThat(history).doesNotContain(world.lastCreatedValue).doesNotContain(OLD_VALUE);
  }

  @Test
  void anOldKeyKeyturnDidNotMakeWaitsForTheRevokeConfirmation() {
    world.live.remove("svc_old"); // the store holds a key made by hand
    ProviderKeyRequest req = request("openai", Duration.ofHours(2));
    ProviderKeyRotationWorkflow wf = start(req);
    env.sleep(Duration.ofHours(3));
    assertThat(wf.status().phase()).isEqualTo(ProviderKeyPhase.AWAITING_REVOKE_CONFIRMATION);
    assertThat(wf.status().detail())
        .contains("the old key was not made by Keyturn")
        .contains("keyturn confirm-revoked provider-key/" + GROUP);
    wf.confirmRevoked("carol");
    assertThat(result(req).summary()).contains("confirmed by carol");
  }

  @Test
  void aFailedPublishPutsTheOldValueBackAndRevokesTheNewKeyOnlyAfterTheCache() {
    stores.failOn = FILE.describe();
    ProviderKeyRequest req = request("openai", Duration.ofHours(2));
    start(req);
    long started = now();
    assertThatThrownBy(() -> result(req))
        .rootCause()
        .hasMessageContaining("ROLLED BACK: publishing failed")
        .hasMessageContaining(VAULT.describe() + " holds the old key")
        .hasMessageContaining("was revoked at the provider")
        .hasMessageContaining("the old key was never revoked");
    assertThat(stores.values.values()).containsOnly(OLD_VALUE);
    assertThat(world.live).containsKey("svc_old").doesNotContainKey("svc_new_1");
    assertThat(world.revokedAtMillis - started)
        .as("a proxy that read the new key keeps it for its cache: it is revoked after that")
        .isGreaterThanOrEqualTo(CACHE.toMillis());
  }

  /**
   * A Groq key in one store and an Azure hex key in the other: read with the provider-key read,
   * sealed (history never holds them), and put back when the rotation rolls back.
   */
  @Test
  void oldKeysOfOtherProvidersShapesAreReadAndPutBackOnRollback() {
    String groq = "gsk_" + "G1r2o3q4".repeat(6);
    String azure = "0123456789abcdef".repeat(2);
    stores.values.put(VAULT.describe(), groq);
    stores.values.put(FILE.describe(), azure);
    stores.failOn = FILE.describe();
    ProviderKeyRequest req = request("openai", Duration.ofHours(2));
    start(req);
    assertThatThrownBy(() -> result(req))
        .rootCause()
        .hasMessageContaining("ROLLED BACK: publishing failed")
        .hasMessageContaining(VAULT.describe() + " holds the old key " + KeyMaterial.ref(groq))
        .hasMessageContaining(FILE.describe() + " holds the old key " + KeyMaterial.ref(azure));
    assertThat(stores.values).containsEntry(VAULT.describe(), groq);
    assertThat(stores.values).containsEntry(FILE.describe(), azure);
    String history = env.getWorkflowClient().fetchHistory(req.workflowId()).toJson(false);
    assertThat(history).doesNotContain(groq).doesNotContain(azure);
  }

  @Test
  void aDeploymentThatDoesNotAnswerAfterTheGraceHoldsTheRevokeAndRollsBack() {
    world.sickWithNewKey = true;
    ProviderKeyRequest req = request("openai", Duration.ofHours(2));
    start(req);
    assertThatThrownBy(() -> result(req))
        .rootCause()
        .hasMessageContaining("deployment old-1 did not answer through the proxy after the grace")
        .hasMessageContaining("the old key was not revoked");
    assertThat(world.live).containsKey("svc_old");
    assertThat(stores.values.values()).containsOnly(OLD_VALUE);
  }

  @Test
  void aRollbackDuringTheGracePutsTheOldKeyBack() {
    ProviderKeyRequest req = request("openai", Duration.ofHours(2));
    ProviderKeyRotationWorkflow wf = start(req);
    env.sleep(Duration.ofMinutes(30));
    assertThat(wf.status().phase()).isEqualTo(ProviderKeyPhase.IN_GRACE);
    assertThat(stores.values.values()).containsOnly(world.lastCreatedValue);
    wf.rollback("bob");
    assertThatThrownBy(() -> result(req)).rootCause().hasMessageContaining("rollback asked by bob");
    assertThat(stores.values.values()).containsOnly(OLD_VALUE);
    assertThat(world.live).containsKey("svc_old").doesNotContainKey("svc_new_1");
  }

  @Test
  void aRotationCancelledInTheGraceRollsBackLikeAFailedOne() {
    ProviderKeyRequest req = request("openai", Duration.ofHours(2));
    ProviderKeyRotationWorkflow wf = start(req);
    env.sleep(Duration.ofMinutes(30));
    assertThat(stores.values.values()).containsOnly(world.lastCreatedValue);
    env.getWorkflowClient().newUntypedWorkflowStub(req.workflowId()).cancel();
    assertThatThrownBy(() -> result(req)).isInstanceOf(WorkflowFailedException.class);
    assertThat(wf.status().phase()).isEqualTo(ProviderKeyPhase.ROLLED_BACK);
    assertThat(wf.status().detail())
        .contains("ROLLED BACK: the rotation was cancelled before the old key")
        .contains(VAULT.describe() + " holds the old key");
    assertThat(stores.values.values()).containsOnly(OLD_VALUE);
    assertThat(world.live).containsKey("svc_old").doesNotContainKey("svc_new_1");
  }

  @Test
  void aRollbackThatArrivesWhileTheDeploymentsAreCheckedIsNotDropped() {
    ProviderKeyRequest req = request("openai", Duration.ofHours(2));
    ProviderKeyRotationWorkflow wf = start(req);
    // The CLI saw IN_GRACE; its signal lands once the grace ended, during the health check.
    world.onVerifyDeployment = () -> wf.rollback("dave");
    assertThatThrownBy(() -> result(req))
        .rootCause()
        .hasMessageContaining("rollback asked by dave");
    assertThat(world.calls).noneMatch(c -> c.equals("revoke svc_old"));
    assertThat(world.live).containsKey("svc_old").doesNotContainKey("svc_new_1");
    assertThat(stores.values.values()).containsOnly(OLD_VALUE);
  }

  @Test
  void aDeploymentCallingWithAKeyturnKeyOfItsOwnIsRefusedBeforeAnyKeyIsMade() {
    // Rotated earlier the dual-deployment way: svc_old sits in the deployment itself, so the
    // store's value is not what it calls with, and revoking svc_old would break it.
    world.deploymentKeyId = "svc_old";
    ProviderKeyRequest req = request("openai", Duration.ofHours(2));
    start(req);
    assertThatThrownBy(() -> result(req))
        .rootCause()
        .hasMessageContaining("preflight failed, nothing changed")
        .hasMessageContaining("old-1 (svc_old)")
        .hasMessageContaining("keyturn_provider_key_id");
    assertThat(world.calls).containsExactly("preflight");
    assertThat(world.live).containsKey("svc_old");
    assertThat(stores.values.values()).containsOnly(OLD_VALUE);
  }

  @Test
  void anEmptyStoreFailsThePreflightBeforeAnyKeyIsMade() {
    stores.values.remove(FILE.describe());
    ProviderKeyRequest req = request("openai", Duration.ofHours(2));
    start(req);
    assertThatThrownBy(() -> result(req))
        .rootCause()
        .hasMessageContaining("preflight failed, nothing changed")
        .hasMessageContaining(FILE.describe() + " holds no key");
    assertThat(world.calls).doesNotContain("create");
  }

  @Test
  void aGraceNotLongerThanTheProxyCacheIsRefused() {
    assertThatThrownBy(() -> request("openai", CACHE))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("provider key 'chat'")
        .hasMessageContaining("is not longer than the proxy's secret cache (1h)");
  }

  /** The stores the proxy reads from: one value each, compared by fingerprint. */
  final class Stores extends SecretStoreStandIn {
    final Map<String, String> values = Collections.synchronizedMap(new LinkedHashMap<>());
    volatile String failOn;

    Stores() {
      values.put(VAULT.describe(), OLD_VALUE);
      values.put(FILE.describe(), OLD_VALUE);
    }

    /** The virtual-key read, which refuses what is not {@code sk-...}: not for provider keys. */
    @Override
    public CurrentKey readCurrentKey(Destination d) {
      throw ApplicationFailure.newNonRetryableFailure(
          d.describe() + " holds something that is not a LiteLLM virtual key (sk-...)",
          RotationFailures.DESTINATION_INVALID);
    }

    @Override
    public CurrentKey readCurrentProviderKey(Destination d) {
      String v = values.get(d.describe());
      return v == null ? null : new CurrentKey(KeyMaterial.ref(v), keyring.seal(v), d.describe());
    }

    @Override
    public PublishReceipt publishSealed(
        Destination d, KeyRef key, SealedSecret sealed, String workflowId, String label) {
      String raw = keyring.open(sealed);
      assertThat(KeyMaterial.ref(raw)).isEqualTo(key);
      if (!label.endsWith("-rollback")) {
        world.calls.add("publish " + d.describe());
        if (d.describe().equals(failOn)) {
          throw ApplicationFailure.newNonRetryableFailure(
              "permission denied", RotationFailures.DESTINATION_INVALID);
        }
      }
      values.put(d.describe(), raw);
      return new PublishReceipt(d.describe(), 2, 1, true);
    }
  }

  /** The proxy (one deployment, untouched here) and the provider's named keys. */
  final class World implements ProviderKeyActivities {
    final Map<String, String> live = Collections.synchronizedMap(new LinkedHashMap<>());
    final List<String> calls = Collections.synchronizedList(new ArrayList<>());
    volatile boolean sickWithNewKey;
    volatile String deploymentKeyId;
    volatile Runnable onVerifyDeployment = () -> {};
    volatile String lastCreatedValue = "none";
    volatile long revokedAtMillis = -1;
    int n;

    World() {
      live.put("svc_old", request("openai", Duration.ofHours(2)).keyName("0123456789ab"));
      live.put(
          "svc_handmade_other_group",
          request("openai", Duration.ofHours(2)).keyName("").replace(GROUP, GROUP + "-mini")
              + "0123456789ab");
      // The same model group at another proxy, from the same provider project.
      live.put(
          "svc_other_gateway",
          new ProviderKeyRequest(
                  "chat", "http://staging.test:4000", GROUP, "openai", null, null, null, null, "t")
              .keyName("0123456789ab"));
      live.put("svc_unrelated", "someone-else");
    }

    @Override
    public List<ProviderDeployment> preflight(ProviderKeyRequest r, List<String> masterKeys) {
      calls.add("preflight");
      return List.of(
          new ProviderDeployment("old-1", "openai/" + GROUP, "http://p/v1", deploymentKeyId));
    }

    @Override
    public ProviderKey createKey(ProviderKeyRequest r, String name) {
      calls.add("create");
      String id = "svc_new_" + (++n);
      lastCreatedValue = "sk-proj-created-" + id + "-" + "q".repeat(16);
      live.put(id, name);
      return new ProviderKey(KeyMaterial.ref(lastCreatedValue), keyring.seal(lastCreatedValue), id);
    }

    @Override
    public ProviderKey describeProvided(ProviderKeyRequest r, SealedSecret sealed) {
      return new ProviderKey(KeyMaterial.ref(keyring.open(sealed)), sealed, null);
    }

    @Override
    public void verifyAtProvider(ProviderKeyRequest r, String apiBase, ProviderKey key) {
      calls.add("verifyAtProvider");
    }

    @Override
    public String addDeployment(
        ProviderKeyRequest r, ProviderDeployment like, ProviderKey key, String id) {
      calls.add("add " + id);
      return id;
    }

    @Override
    public void verifyDeployment(String gateway, String id) {
      calls.add("verifyDeployment " + id);
      onVerifyDeployment.run();
      if (sickWithNewKey) {
        throw ApplicationFailure.newNonRetryableFailure(
            "HTTP 401 from the provider", ProviderKeyFailures.KEY_REJECTED);
      }
    }

    @Override
    public String deleteDeployment(String gateway, String id) {
      calls.add("delete " + id);
      return "deleted";
    }

    @Override
    public List<String> earlierKeys(ProviderKeyRequest r, String newKeyId) {
      return live.entrySet().stream()
          .filter(e -> !e.getKey().equals(newKeyId) && r.namesKeyOfThisGroup(e.getValue()))
          .map(Map.Entry::getKey)
          .toList();
    }

    @Override
    public String revokeKey(ProviderKeyRequest r, String providerId) {
      calls.add("revoke " + providerId);
      revokedAtMillis = env.currentTimeMillis();
      live.remove(providerId);
      return providerId + " revoked";
    }
  }
}
