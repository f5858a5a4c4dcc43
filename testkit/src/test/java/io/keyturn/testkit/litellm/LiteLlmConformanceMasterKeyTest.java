package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;

/**
 * Conformance of what a master-key rotation relies on ({@code regenerate_key_fn} and {@code
 * rotate_master_key} in {@code litellm/proxy/management_endpoints/key_management_endpoints.py},
 * {@code get_credentials} in {@code litellm/proxy/credential_endpoints/endpoints.py}, {@code
 * model_info_v1} in {@code litellm/proxy/proxy_server.py}). Run against the emulator and LiteLLM's
 * own code on the stand-in, never a deployed proxy: re-encrypting would rewrite its database.
 */
class LiteLlmConformanceMasterKeyTest extends LiteLlmConformanceBase {

  private Proxy openNotDeployed(Target target) {
    Assumptions.assumeTrue(
        target != Target.REAL_PROXY,
        "SKIPPED against a deployed proxy: /key/regenerate with new_master_key re-encrypts its"
            + " stored credentials");
    return open(target);
  }

  @ConformanceCase
  @DisplayName("master key: re-encrypting to new_master_key keeps the running master key")
  void reencryptKeepsRunningMasterKey(Target target) {
    Proxy p = openNotDeployed(target);
    String next = "sk-conf-next-master-" + randomSuffix(24);
    Resp ok = p.post("/key/regenerate", p.master, Map.of("key", p.master, "new_master_key", next));
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().path("key").asText()).as("echoes the new key").isEqualTo(next);
    assertThat(p.get("/key/list", p.master).status())
        .as("the old master key still authenticates: the process keeps it until restarted")
        .isEqualTo(200);
    Resp refused = p.get("/key/list", next);
    assertThat(refused.status())
        .as("the new key is refused until restart: %s", refused)
        .isEqualTo(401);
  }

  @ConformanceCase
  @DisplayName(
      "master key: /key/info of the master key's hash finds no key row (preflight relies on it)")
  void masterKeyIsNoKeyRow(Target target) {
    Proxy p = openNotDeployed(target);
    Resp r = p.get("/key/info?key=" + sha256(p.master), p.master);
    assertThat(r.status()).as(r.body()).isNotEqualTo(200);
    Key k = p.newKey("mk-row");
    Resp row = p.get("/key/info?key=" + k.hash(), p.master);
    assertThat(row.status()).as(row.body()).isEqualTo(200);
    assertThat(row.json().path("info").isObject()).isTrue();
  }

  @ConformanceCase
  @DisplayName("master key: a virtual key cannot re-encrypt (the key named must be the master key)")
  void virtualKeyCannotRotateMaster(Target target) {
    Proxy p = openNotDeployed(target);
    Key k = p.newKey("mk-virtual");
    Resp r =
        p.post(
            "/key/regenerate",
            k.raw(),
            Map.of("key", k.raw(), "new_master_key", "sk-conf-nope-" + randomSuffix(20)));
    assertThat(r.status()).as(r.body()).isNotEqualTo(200);
    assertThat(p.get("/key/list", p.master).status()).isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("master key: /credentials answers {success: true, credentials: [...]}")
  void credentialsShape(Target target) {
    Proxy p = openNotDeployed(target);
    Resp r = p.get("/credentials", p.master);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().path("success").asBoolean()).isTrue();
    assertThat(r.json().path("credentials").isArray()).as(r.body()).isTrue();
  }

  @ConformanceCase
  @DisplayName("master key: /model/info answers {data: [{model_name, model_info: {id}}]}")
  void modelInfoShape(Target target) {
    Proxy p = openNotDeployed(target);
    Resp r = p.get("/model/info", p.master);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().path("data").isArray()).as(r.body()).isTrue();
    for (var m : r.json().path("data")) {
      assertThat(m.path("model_name").isTextual()).as("%s", m).isTrue();
      assertThat(m.path("model_info").path("id").isTextual()).as("%s", m).isTrue();
    }
  }

  @ConformanceCase
  @DisplayName("master key: stored values are unreadable after re-encrypt until the restart")
  void storedValuesFollowRestart(Target target) {
    String[] source = {null};
    Proxy p =
        openEmulator(
            target,
            "the restart stand-in and stored encrypted models are the emulator's",
            b ->
                b.storedModels(List.of("db-gpt"))
                    .storedCredentials(List.of("openai-cred"))
                    .masterKeySource(() -> source[0]));
    String next = "sk-conf-next-master-" + randomSuffix(24);
    assertThat(healthy(p)).isEqualTo(1);
    p.post("/key/regenerate", p.master, Map.of("key", p.master, "new_master_key", next));
    assertThat(healthy(p)).as("re-encrypted, not restarted").isZero();
    assertThat(p.emulator.unreadableStoredValues())
        .containsExactly("model:db-gpt", "credential:openai-cred");
    source[0] = next;
    Resp restart = p.post(StoredSecretsEndpoints.RESTART_ROUTE, null, Map.of());
    assertThat(restart.status()).as(restart.body()).isEqualTo(200);
    assertThat(p.get("/key/list", next).status()).isEqualTo(200);
    assertThat(p.get("/key/list", p.master).status()).isEqualTo(401);
    assertThat(p.emulator.unreadableStoredValues()).isEmpty();
    Resp h = p.get("/health?model_id=db-model-1", next);
    assertThat(h.json().path("healthy_count").asInt()).as(h.body()).isEqualTo(1);
  }

  @ConformanceCase
  @DisplayName("master key: with a salt key a restart alone keeps stored values readable")
  void saltKeyKeepsValues(Target target) {
    String next = "sk-conf-next-master-" + randomSuffix(24);
    Proxy p =
        openEmulator(
            target,
            "LITELLM_SALT_KEY and the restart stand-in are the emulator's",
            b ->
                b.saltKey("salt-" + randomSuffix(16))
                    .storedModels(List.of("db-gpt"))
                    .masterKeySource(() -> next));
    assertThat(p.post(StoredSecretsEndpoints.RESTART_ROUTE, null, Map.of()).status())
        .isEqualTo(200);
    assertThat(p.emulator.unreadableStoredValues()).isEmpty();
    // ...and re-encrypting under a salt key would move them to the master key: unreadable.
    p.post("/key/regenerate", next, Map.of("key", next, "new_master_key", next + "x"));
    assertThat(p.emulator.unreadableStoredValues()).containsExactly("model:db-gpt");
  }

  private static int healthy(Proxy p) {
    Resp h = p.get("/health", p.master);
    return h.json().path("healthy_count").asInt();
  }
}
