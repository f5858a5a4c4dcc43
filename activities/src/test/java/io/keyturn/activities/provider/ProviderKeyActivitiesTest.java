package io.keyturn.activities.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.testkit.provider.UpstreamProvider;
import io.keyturn.workflows.ProviderKeyFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.ProviderDeployment;
import io.keyturn.workflows.model.ProviderKey;
import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProxySecretStore;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The provider-key activities against the LiteLLM emulator and the upstream provider double: each
 * side effect idempotent, refusals typed, no key value in what they return or throw.
 */
class ProviderKeyActivitiesTest {
  static final String MASTER = "sk-master-provider-test-0000";
  static final String ADMIN = "sk-admin-provider-test-0000";

  LiteLlmEmulator proxy;
  UpstreamProvider upstream;
  JsonHttp http;
  WorkerKeyring keyring = WorkerKeyring.generate();
  ProviderKeyActivitiesImpl acts;

  @BeforeEach
  void start() {
    proxy = LiteLlmEmulator.builder().masterKey(MASTER).build().start();
    upstream = new UpstreamProvider(ADMIN, "proj_t").start();
    http = new JsonHttp(Duration.ofSeconds(5));
    acts = activities(ADMIN);
  }

  ProviderKeyActivitiesImpl activities(String admin) {
    return new ProviderKeyActivitiesImpl(
        http,
        () -> MASTER,
        keyring,
        List.of(new ManualProvider(), new OpenAiProvider(http, () -> admin, upstream.baseUrl())));
  }

  @AfterEach
  void stop() {
    proxy.close();
    upstream.close();
    http.close();
  }

  ProviderKeyRequest request(String provider, String group) {
    return new ProviderKeyRequest(
        "t", proxy.baseUrl(), group, provider, Map.of("project", "proj_t"), null, null, null, "t");
  }

  ProviderDeployment like() {
    return new ProviderDeployment("x", "openai/gpt-4o-mini", upstream.apiBase(), null);
  }

  /** A provider whose key is a pair: its own check, its own params, its own display. */
  static final class PairProvider implements KeyProvider {
    final List<String> verified = new java.util.ArrayList<>();

    @Override
    public String name() {
      return "pair";
    }

    @Override
    public String problem(Map<String, String> settings) {
      return null;
    }

    @Override
    public boolean automated() {
      return true;
    }

    @Override
    public Created create(Map<String, String> settings, String name) {
      return new Created("ID0001|secret-tail-XYZW", "ID0001", "ID…0001");
    }

    @Override
    public boolean revoke(Map<String, String> settings, String providerId) {
      return true;
    }

    @Override
    public boolean verifyAtProvider(Map<String, String> settings, String value) {
      verified.add(value);
      return true;
    }

    @Override
    public Map<String, Object> litellmParams(Map<String, String> settings, String value) {
      String[] p = value.split("\\|");
      return Map.of(
          "aws_access_key_id", p[0], "aws_secret_access_key", p[1], "aws_region_name", "eu-west-1");
    }
  }

  @Test
  void aProviderCarriesItsOwnCheckParamsAndDisplay() throws Exception {
    PairProvider pair = new PairProvider();
    ProviderKeyActivitiesImpl a =
        new ProviderKeyActivitiesImpl(http, () -> MASTER, keyring, List.of(pair));
    ProviderKeyRequest req = request("pair", "claude-bedrock");
    ProviderKey k = a.createKey(req, "keyturn-claude-bedrock-1");
    assertThat(k.fingerprint()).startsWith("ID…0001 #").doesNotContain("XYZW");
    assertThat(k.toString()).doesNotContain("secret");

    // no api_base: the default check (GET <api_base>/models) would fail; the provider's own runs
    a.verifyAtProvider(req, null, k);
    assertThat(pair.verified).containsExactly("ID0001|secret-tail-XYZW");

    ProviderDeployment bedrock =
        new ProviderDeployment("x", "bedrock/anthropic.claude-3-haiku-20240307-v1:0", null, null);
    a.addDeployment(req, bedrock, k, "keyturn-claude-bedrock-1");
    var info =
        http.send(
            "GET",
            proxy.baseUrl() + "/model/info?litellm_model_id=keyturn-claude-bedrock-1",
            Map.of("Authorization", "Bearer " + MASTER),
            null);
    assertThat(info.body())
        .contains("\"aws_region_name\":\"eu-west-1\"")
        .contains("bedrock/anthropic.claude-3-haiku")
        .doesNotContain("secret-tail")
        .doesNotContain("\"api_key\"");
  }

  @Test
  void addingTheSameDeploymentTwiceAdoptsItAndDeletingTwiceIsDone() {
    ProviderKeyRequest req = request("openai", "g");
    ProviderKey key = acts.createKey(req, "keyturn-g-1");
    assertThat(key.toString()).doesNotContain("sk-proj-");
    assertThat(acts.addDeployment(req, like(), key, "keyturn-g-1")).isEqualTo("keyturn-g-1");
    assertThat(acts.addDeployment(req, like(), key, "keyturn-g-1")).isEqualTo("keyturn-g-1");
    List<ProviderDeployment> group = acts.preflight(req, List.of());
    assertThat(group).extracting(ProviderDeployment::id).containsExactly("keyturn-g-1");
    assertThat(group.get(0).providerKeyId()).isEqualTo(key.providerId());
    acts.verifyDeployment(proxy.baseUrl(), "keyturn-g-1");
    assertThat(acts.deleteDeployment(proxy.baseUrl(), "keyturn-g-1")).contains("was deleted");
    assertThat(acts.deleteDeployment(proxy.baseUrl(), "keyturn-g-1")).contains("already gone");
  }

  @Test
  void aRetriedCreateReplacesTheAccountWhoseKeyWasLostAndRevokeTwiceIsDone() {
    ProviderKeyRequest req = request("openai", "g");
    ProviderKey first = acts.createKey(req, "keyturn-g-2");
    ProviderKey second = acts.createKey(req, "keyturn-g-2");
    assertThat(upstream.serviceAccounts()).containsExactly("keyturn-g-2");
    assertThat(upstream.isLive(keyring.open(first.sealed()))).isFalse();
    acts.verifyAtProvider(req, upstream.apiBase(), second);
    assertThat(acts.revokeKey(req, second.providerId())).contains("revoked");
    assertThat(acts.revokeKey(req, second.providerId())).contains("already gone");
    assertThat(upstream.serviceAccounts()).isEmpty();
  }

  @Test
  void earlierKeysAreTheKeysKeyturnNamedForThisGroupOtherThanTheNewOne() {
    ProviderKeyRequest req = request("openai", "g");
    ProviderKey older = acts.createKey(req, req.keyName("0123456789ab"));
    acts.createKey(req, req.keyName("0123456789ab").replace("keyturn-g-", "keyturn-g-mini-"));
    ProviderKeyRequest staging =
        new ProviderKeyRequest(
            "t", "http://staging.test:4000", "g", "openai", req.settings(), null, null, null, "t");
    acts.createKey(req, staging.keyName("0123456789ab")); // group g at another proxy
    acts.createKey(req, "made-by-hand");
    ProviderKey next = acts.createKey(req, req.keyName("ba9876543210"));
    assertThat(acts.earlierKeys(req, next.providerId())).containsExactly(older.providerId());
    assertThat(acts.earlierKeys(request("manual", "g"), null)).isEmpty();
  }

  @Test
  void earlierKeysAndARetriedCreateSeeEveryPageOfTheProjectsServiceAccounts() {
    ProviderKeyRequest req = request("openai", "g");
    // OpenAI lists 20 accounts a page unless asked for up to 100: a project with 120 others.
    for (int i = 0; i < 120; i++) {
      acts.createKey(req, "someone-else-" + i);
    }
    ProviderKey older = acts.createKey(req, req.keyName("0123456789ab"));
    acts.createKey(req, req.keyName("ba9876543210")); // an attempt whose answer was lost
    ProviderKey next = acts.createKey(req, req.keyName("ba9876543210"));
    assertThat(upstream.serviceAccounts()).containsOnlyOnce(req.keyName("ba9876543210"));
    assertThat(acts.earlierKeys(req, next.providerId())).containsExactly(older.providerId());
  }

  @Test
  void aKeyTheProviderDidNotIssueIsRefusedWithoutItsValue() {
    String value = "sk-proj-not-issued-" + "y".repeat(20);
    ProviderKey k = acts.describeProvided(request("manual", "g"), keyring.seal(value));
    assertThat(k.fingerprint()).isEqualTo(KeyMaterial.ref(value).fingerprint());
    assertThatThrownBy(() -> acts.verifyAtProvider(request("manual", "g"), upstream.apiBase(), k))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderKeyFailures.KEY_REJECTED))
        .hasMessageContaining("refused key")
        .hasMessageNotContaining(value);
  }

  @Test
  void preflightRefusesAnUnknownGroupAProviderWithoutCredentialsAndARunningMasterKeyRotation() {
    assertThatThrownBy(() -> acts.preflight(request("manual", "nope"), List.of()))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderKeyFailures.NO_SUCH_MODEL_GROUP))
        .hasMessageContaining("no stored deployment of model group 'nope'");
    assertThatThrownBy(() -> activities("").preflight(request("openai", "g"), List.of()))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderKeyFailures.PROVIDER_UNUSABLE))
        .hasMessageContaining("KEYTURN_OPENAI_ADMIN_KEY_FILE");
    acts.workflowRunning(id -> id.equals("master-key/prod"));
    assertThatThrownBy(() -> acts.preflight(request("manual", "g"), List.of("master-key/prod")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderKeyFailures.MASTER_KEY_ROTATING));
  }

  @Test
  void aSecretStoreRotationIsRefusedWhileConfigYamlDeploymentsAlsoServeTheGroup() {
    proxy.close();
    proxy = LiteLlmEmulator.builder().masterKey(MASTER).configModels(List.of("g")).build().start();
    ProviderKeyRequest plain = request("manual", "g");
    acts.addDeployment(plain, like(), acts.createKey(request("openai", "g"), "keyturn-g-a"), "d-1");
    ProviderKeyRequest viaStore =
        new ProviderKeyRequest(
            "t",
            proxy.baseUrl(),
            "g",
            "manual",
            Map.of(),
            null,
            Duration.ofHours(2),
            null,
            "t",
            new ProxySecretStore(
                List.of(new Destination("file", Map.of("path", "/run/g.key"))),
                Duration.ofHours(1)));
    assertThatThrownBy(() -> acts.preflight(viaStore, List.of()))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderKeyFailures.NO_SUCH_MODEL_GROUP))
        .hasMessageContaining("from config.yaml (deployment(s) [config-model-1])")
        .hasMessageContaining("nothing changed");
    // Rotated by dual deployments, the stored one is the group's and the config one is left alone.
    assertThat(acts.preflight(plain, List.of()))
        .extracting(ProviderDeployment::id)
        .containsExactly("d-1");
  }

  @Test
  void preflightRefusesWhileTheWorkerFindsAMasterKeyRotationOfTheSameProxyRunning() {
    // Found by the worker (as a scheduled run is), no id named by the caller.
    acts.runningOnProxy(
        (type, gw) ->
            type.equals("MasterKeyRotation") && gw.equals(proxy.baseUrl())
                ? List.of("master-key/prod")
                : List.of());
    assertThatThrownBy(() -> acts.preflight(request("manual", "g"), List.of()))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderKeyFailures.MASTER_KEY_ROTATING))
        .hasMessageContaining("master-key/prod is running on this proxy")
        .hasMessageContaining("keyturn master-status master-key/prod");
    // Another proxy's master key does not hold this one up: the next refusal is the group's.
    acts.runningOnProxy((type, gw) -> List.of());
    assertThatThrownBy(() -> acts.preflight(request("manual", "g"), List.of()))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(ProviderKeyFailures.NO_SUCH_MODEL_GROUP));
  }
}
