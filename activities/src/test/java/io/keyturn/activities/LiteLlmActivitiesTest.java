package io.keyturn.activities;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.activities.litellm.LiteLlmActivitiesImpl;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.RevokeReceipt;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The LiteLLM activities against the management-API emulator (a test double of the proxy). */
class LiteLlmActivitiesTest {
  static final String MASTER = "sk-test-master-0123456789abcdef";

  LiteLlmEmulator proxy;
  JsonHttp http;
  WorkerKeyring secret;
  AtomicReference<String> managementKey;
  LiteLlmActivitiesImpl activities;
  String gw;

  @BeforeEach
  void start() {
    proxy =
        LiteLlmEmulator.builder()
            .masterKey(MASTER)
            .models(List.of("gpt-4o-mini", "claude-haiku"))
            .build()
            .start();
    gw = proxy.baseUrl();
    http = new JsonHttp(Duration.ofSeconds(5));
    secret = WorkerKeyring.generate();
    managementKey = new AtomicReference<>(MASTER);
    activities = new LiteLlmActivitiesImpl(new LiteLlmClient(http, managementKey::get), secret);
  }

  @AfterEach
  void stop() {
    http.close();
    proxy.close();
  }

  private KeyRef seed(String alias, Map<String, Object> extra) {
    Map<String, Object> body = new HashMap<>(extra);
    body.put("key_alias", alias);
    return KeyMaterial.ref(proxy.createKey(body));
  }

  private MintRequest mintRequest(KeyRef old, KeyPolicy policy, String nonce) {
    String alias = "keyturn-svc-a-g3";
    return new MintRequest(
        gw, alias, policy, new KeyDerivation("rotation/svc-a/3", alias, nonce), "svc-a", 3, old);
  }

  @Test
  void importsThePolicyWithoutTheFieldsKeyturnOwns() {
    KeyRef old =
        seed(
            "svc-a",
            Map.of(
                "models",
                List.of("gpt-4o-mini"),
                "max_budget",
                12.5,
                "rpm_limit",
                7,
                "metadata",
                Map.of("team", "x"),
                "duration",
                "30d"));
    KeyPolicy p = activities.importPolicy(gw, old);
    assertThat(p.models()).containsExactly("gpt-4o-mini");
    assertThat(p.fields()).containsEntry("max_budget", 12.5).containsEntry("rpm_limit", 7);
    assertThat(p.fields())
        .doesNotContainKeys("key_alias", "expires", "token", "spend", "created_at", "key_name");
  }

  @Test
  void importOfAnUnknownKeyFailsForGoodNamingTheKey() {
    KeyRef ghost = KeyMaterial.ref("sk-never-existed-xxxxxxxx");
    assertThatThrownBy(() -> activities.importPolicy(gw, ghost))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.OLD_KEY_NOT_FOUND);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage()).contains(ghost.fingerprint());
            });
  }

  @Test
  void aKeyTheLiteLlmOperatorManagesIsRefusedBeforeAnythingIsMinted() {
    KeyRef old = seed("team-a", Map.of("metadata", Map.of("managed_by", "litellm-operator")));
    int before = proxy.liveKeys().size();
    assertThatThrownBy(() -> activities.importPolicy(gw, old))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.OPERATOR_MANAGED);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage())
                  .contains(old.fingerprint())
                  .contains("managed_by: litellm-operator")
                  .contains("Nothing was minted");
            });
    assertThat(proxy.liveKeys()).hasSize(before);
  }

  @Test
  void aMintNeverCopiesAnotherManagersMarker() {
    KeyRef old = seed("svc-a", Map.of("metadata", Map.of("managed_by", "someone", "team", "x")));
    KeyPolicy policy = activities.importPolicy(gw, old);
    MintedKey minted = activities.mintKey(mintRequest(old, policy, "run-1"));
    EmulatedKey k =
        proxy.liveKeys().stream()
            .filter(e -> e.tokenHash().equals(minted.ref().tokenHash()))
            .findFirst()
            .orElseThrow();
    assertThat(k.metadata()).containsEntry("team", "x").doesNotContainKey("managed_by");
  }

  @Test
  void mintCarriesPolicyAndLineageAndARetryAdoptsTheSameKey() {
    KeyRef old = seed("svc-a", Map.of("models", List.of("gpt-4o-mini"), "max_budget", 3.0));
    KeyPolicy policy = activities.importPolicy(gw, old);
    MintedKey first = activities.mintKey(mintRequest(old, policy, "run-1"));
    assertThat(first.adopted()).isFalse();
    // The same activity retried (its first answer lost): no second key, the same one adopted.
    MintedKey again = activities.mintKey(mintRequest(old, policy, "run-1"));
    assertThat(again.adopted()).isTrue();
    assertThat(again.ref()).isEqualTo(first.ref());
    List<EmulatedKey> ours =
        proxy.liveKeys().stream().filter(k -> "keyturn-svc-a-g3".equals(k.keyAlias())).toList();
    assertThat(ours).hasSize(1);
    EmulatedKey k = ours.get(0);
    assertThat(k.tokenHash()).isEqualTo(first.ref().tokenHash());
    assertThat(k.models()).containsExactly("gpt-4o-mini");
    assertThat(k.metadata())
        .containsEntry("keyturn_rotated_from", old.tokenHash())
        .containsEntry("keyturn_secret_id", "svc-a");
    assertThat(k.expires()).isNull();
  }

  @Test
  void aMintRetriedAfterTheWorkerKeyringRotatedAdoptsTheKeyDerivedUnderTheOlderKey() {
    KeyRef old = seed("svc-a", Map.of("models", List.of("gpt-4o-mini")));
    KeyPolicy policy = activities.importPolicy(gw, old);
    MintedKey first = activities.mintKey(mintRequest(old, policy, "run-1"));
    assertThat(first.derivation().keyId()).isEqualTo(secret.currentKeyId());

    // The keyring rotates between the first attempt (answer lost) and its retry.
    WorkerKeyring rotated = secret.rotate();
    LiteLlmActivitiesImpl after =
        new LiteLlmActivitiesImpl(new LiteLlmClient(http, managementKey::get), rotated);
    MintedKey again = after.mintKey(mintRequest(old, policy, "run-1"));

    assertThat(again.adopted()).isTrue();
    assertThat(again.ref()).isEqualTo(first.ref());
    assertThat(again.derivation().keyId()).isEqualTo(secret.currentKeyId());
    assertThat(rotated.deriveKey(again.derivation()))
        .isEqualTo(secret.deriveKey(first.derivation()));
    assertThat(proxy.liveKeys().stream().filter(k -> "keyturn-svc-a-g3".equals(k.keyAlias())))
        .hasSize(1);
  }

  @Test
  void anAliasHeldByAKeyKeyturnDidNotDeriveIsNotAdopted() {
    KeyRef old = seed("svc-a", Map.of());
    seed("keyturn-svc-a-g3", Map.of());
    assertThatThrownBy(() -> activities.mintKey(mintRequest(old, KeyPolicy.empty(), "run-1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.ALIAS_TAKEN);
              assertThat(f.getOriginalMessage())
                  .contains("keyturn-svc-a-g3")
                  .contains("new generation");
            });
    assertThat(proxy.liveKeys()).hasSize(2);
  }

  @Test
  void verifyPassesForAGoodKeyAndFailsWhenModelsDifferOrTheKeyIsBlocked() {
    KeyRef old = seed("svc-a", Map.of("models", List.of("gpt-4o-mini")));
    KeyPolicy policy = activities.importPolicy(gw, old);
    MintedKey minted = activities.mintKey(mintRequest(old, policy, "run-1"));
    activities.verifyKey(gw, minted, policy);

    KeyPolicy wider = new KeyPolicy(Map.of("models", List.of("gpt-4o-mini", "claude-haiku")));
    assertThatThrownBy(() -> activities.verifyKey(gw, minted, wider))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.VERIFY_FAILED);
              assertThat(f.getOriginalMessage()).contains("claude-haiku");
            });

    proxy.faults().clear();
    blockKey(minted.ref().tokenHash());
    assertThatThrownBy(() -> activities.verifyKey(gw, minted, policy))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(RotationFailures.VERIFY_FAILED));
  }

  private void blockKey(String hash) {
    JsonHttp.Reply r =
        http.send(
            "POST",
            gw + "/key/block",
            Map.of("Authorization", "Bearer " + MASTER),
            "{\"key\":\"" + hash + "\"}");
    assertThat(r.status()).isEqualTo(200);
  }

  @Test
  void deleteIsIdempotentAndTheProofSaysWhoDeletedTheOldKey() {
    String raw = proxy.createKey(Map.of("key_alias", "svc-a"));
    KeyRef old = KeyMaterial.ref(raw);
    assertThat(activities.deleteKey(gw, old)).isTrue();
    RevokeReceipt r = activities.confirmRevoked(gw, old, secret.seal(raw), true);
    assertThat(r.alreadyGone()).isFalse();
    assertThat(r.proofOfRejection()).contains("401");
    assertThat(proxy.liveKeys()).isEmpty();
    // Deleted again (a retried activity): "No keys found" counts as done, and says so.
    assertThat(activities.deleteKey(gw, old)).isFalse();
    RevokeReceipt again = activities.confirmRevoked(gw, old, secret.seal(raw), false);
    assertThat(again.alreadyGone()).isTrue();
  }

  @Test
  void discardingADerivedKeyDeletesItOnceAndTreatsNeverCreatedAsDone() {
    KeyRef old = seed("svc-a", Map.of());
    MintRequest req = mintRequest(old, activities.importPolicy(gw, old), "run-9");
    // Nothing was minted yet: nothing to do.
    assertThat(activities.discardDerivedKey(req)).isFalse();
    activities.mintKey(req);
    assertThat(proxy.liveKeys()).hasSize(2);
    assertThat(activities.discardDerivedKey(req)).isTrue();
    assertThat(proxy.liveKeys()).hasSize(1);
    assertThat(activities.discardDerivedKey(req)).isFalse();
  }

  @Test
  void aProxyCacheThatStillAcceptsTheOldKeyMakesRevokeRetry() {
    String raw = proxy.createKey(Map.of("key_alias", "svc-a"));
    proxy.faults().deletePropagationDelay(Duration.ofSeconds(30));
    assertThat(activities.deleteKey(gw, KeyMaterial.ref(raw))).isTrue();
    assertThatThrownBy(
            () -> activities.confirmRevoked(gw, KeyMaterial.ref(raw), secret.seal(raw), true))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.OLD_KEY_STILL_ACCEPTED);
              assertThat(f.isNonRetryable()).isFalse();
            });
  }

  @Test
  void throttlingIsRetryableAndHonoursRetryAfter() {
    KeyRef old = seed("svc-a", Map.of());
    proxy.faults().rateLimitNext("/key/info", 1, 7);
    assertThatThrownBy(() -> activities.importPolicy(gw, old))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.isNonRetryable()).isFalse();
              assertThat(f.getType()).isEqualTo(RotationFailures.TRANSIENT);
              assertThat(f.getNextRetryDelay()).isEqualTo(Duration.ofSeconds(7));
            });
    assertThat(activities.importPolicy(gw, old)).isNotNull();
  }

  @Test
  void serverErrorsAndDroppedConnectionsAreRetryable() {
    KeyRef old = seed("svc-a", Map.of());
    proxy.faults().failNext("/key/info", 503, 1);
    assertThatThrownBy(() -> activities.importPolicy(gw, old))
        .isInstanceOfSatisfying(
            ApplicationFailure.class, f -> assertThat(f.isNonRetryable()).isFalse());
    proxy.faults().dropConnectionNext("/key/info", 1);
    assertThatThrownBy(() -> activities.importPolicy(gw, old))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> assertThat(f.getType()).isEqualTo(RotationFailures.TRANSIENT));
    assertThat(activities.importPolicy(gw, old)).isNotNull();
  }

  @Test
  void aRefusedManagementKeyFailsForGoodWithTheFix() {
    KeyRef old = seed("svc-a", Map.of());
    managementKey.set("sk-not-a-real-management-key-000");
    assertThatThrownBy(() -> activities.importPolicy(gw, old))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.GATEWAY_UNAUTHORIZED);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage())
                  .contains("LITELLM_MASTER_KEY")
                  .doesNotContain("sk-not-a-real-management-key-000");
            });
  }

  @Test
  void aManagementKeyMissingARouteIsToldWhichRoutesToGrant() {
    KeyRef old = seed("svc-a", Map.of());
    managementKey.set(
        proxy.createKey(Map.of("key_alias", "narrow", "allowed_routes", List.of("/key/generate"))));
    assertThatThrownBy(() -> activities.importPolicy(gw, old))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.GATEWAY_FORBIDDEN);
              assertThat(f.getOriginalMessage()).contains("allowed_routes").contains("/key/delete");
            });
  }

  @Test
  void keyUseReadsLastActiveWhichARequestWithTheKeySets() throws InterruptedException {
    String raw = proxy.createKey(Map.of("key_alias", "svc-use"));
    KeyRef key = KeyMaterial.ref(raw);
    assertThat(activities.keyUse(gw, key, Duration.ofMinutes(15)))
        .isEqualTo(io.keyturn.workflows.model.KeyUse.unknown(key));

    JsonHttp.Reply r =
        http.send(
            "POST",
            gw + "/chat/completions",
            Map.of("Authorization", "Bearer " + raw),
            "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    var used = activities.keyUse(gw, key, Duration.ofMinutes(15));
    assertThat(used.usedWithinWindow()).isTrue();
    assertThat(used.lastActive()).isNotNull();
    assertThat(used.secondsAgo()).isBetween(0L, 5L);

    Thread.sleep(1100);
    var quiet = activities.keyUse(gw, key, Duration.ofSeconds(1));
    assertThat(quiet.usedWithinWindow()).as("%s", quiet).isFalse();

    activities.deleteKey(gw, key);
    assertThat(activities.keyUse(gw, key, Duration.ofMinutes(15)).lastActive()).isNull();
  }
}
