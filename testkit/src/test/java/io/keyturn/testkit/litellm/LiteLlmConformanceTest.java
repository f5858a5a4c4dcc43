package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;

/**
 * Conformance of the LiteLLM management API, must-haves 1-5 of the suite's 17 (numbered across the
 * {@code LiteLlmConformance*Test} classes): key storage and identity, authentication ({@code
 * litellm/proxy/auth/user_api_key_auth.py} of BerriAI/litellm), {@code allowed_routes} ({@code
 * litellm/proxy/auth/route_checks.py}), admin-only routes. Each case runs against a fresh
 * in-process emulator, LiteLLM's own code of each tested release, and, when {@code LITELLM_URL} and
 * {@code LITELLM_MASTER_KEY} are set, a deployed proxy; docs/litellm-conformance.md records where
 * they differed.
 */
class LiteLlmConformanceTest extends LiteLlmConformanceBase {

  // ------------------------------------------------------------------ must-have 1

  @ConformanceCase
  @DisplayName("must-have 1: a generated key is sk- plus 22 url-safe chars; token = sha256 hex")
  void generatedKeyFormatAndHash(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh1-format");
    assertThat(k.raw()).matches("^sk-[A-Za-z0-9_-]{22}$").hasSize(25);
    assertThat(k.hash()).matches("^[0-9a-f]{64}$").isEqualTo(sha256(k.raw()));
    assertThat(k.generated().path("token").asText()).isEqualTo(sha256(k.raw()));
    Key other = p.newKey("mh1-format2");
    assertThat(other.raw()).isNotEqualTo(k.raw());
  }

  @ConformanceCase
  @DisplayName("must-have 1: the hash covers the whole string including the sk- prefix (UTF-8)")
  void hashCoversPrefix(Target target) {
    Proxy p = open(target);
    String custom = "sk-conf-" + randomSuffix(20);
    Key k = p.newKey("mh1-prefix", "key", custom);
    assertThat(k.raw()).isEqualTo(custom);
    assertThat(k.hash()).isEqualTo(sha256(custom)).isNotEqualTo(sha256(custom.substring(3)));
    // The row is found under sha256(full string) and under nothing else.
    assertThat(p.info(sha256(custom)).status()).isEqualTo(200);
    assertThat(p.info(sha256(custom.substring(3))).status()).isEqualTo(404);
  }

  @ConformanceCase
  @DisplayName("must-have 1: the emulator stores the hash, never the raw key")
  void emulatorStoresOnlyTheHash(Target target) {
    Proxy p = openEmulator(target, "inspects liveKeys()", b -> {});
    Key k = p.newKey("mh1-store");
    List<EmulatedKey> live = p.emulator().liveKeys();
    assertThat(live).extracting(EmulatedKey::tokenHash).containsExactly(sha256(k.raw()));
    assertThat(live.get(0).row().toString()).doesNotContain(k.raw());
    assertThat(live.get(0).keyName()).isEqualTo("sk-..." + k.raw().substring(21));
  }

  @ConformanceCase
  @DisplayName(
      "must-have 1: the raw key is only returned by generate and echoed by /key/info?key=raw")
  void rawKeyNeverReturnedElsewhere(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh1-secret");
    Resp byHash = p.info(k.hash());
    assertThat(byHash.status()).isEqualTo(200);
    assertThat(byHash.body()).doesNotContain(k.raw());
    Resp list = p.get("/key/list?return_full_object=true&key_alias=" + enc(k.alias()), p.master);
    assertThat(list.status()).isEqualTo(200);
    assertThat(list.json().path("keys")).hasSize(1);
    assertThat(list.body()).doesNotContain(k.raw());
    Resp blocked = p.post("/key/block", p.master, Map.of("key", k.hash()));
    assertThat(blocked.status()).isEqualTo(200);
    assertThat(blocked.body()).doesNotContain(k.raw());
    Resp updated = p.post("/key/update", p.master, Map.of("key", k.hash(), "models", List.of()));
    assertThat(updated.status()).isEqualTo(200);
    assertThat(updated.body()).doesNotContain(k.raw());
    // Echoed back as passed, never looked up from storage.
    Resp byRaw = p.info(k.raw());
    assertThat(byRaw.json().path("key").asText()).isEqualTo(k.raw());
  }

  // ------------------------------------------------------------------ must-have 2

  @ConformanceCase
  @DisplayName("must-have 2: /key/info accepts the raw key or its hash")
  void infoAcceptsRawOrHash(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh2-info");
    Resp byRaw = p.info(k.raw());
    Resp byHash = p.info(k.hash());
    assertThat(byRaw.status()).isEqualTo(200);
    assertThat(byHash.status()).isEqualTo(200);
    assertThat(byRaw.json().path("info").path("key_alias").asText()).isEqualTo(k.alias());
    assertThat(byHash.json().path("info").path("key_alias").asText()).isEqualTo(k.alias());
    assertThat(byHash.json().path("key").asText()).isEqualTo(k.hash());
  }

  @ConformanceCase
  @DisplayName("must-have 2: /key/delete accepts the raw key or its hash")
  void deleteAcceptsRawOrHash(Target target) {
    Proxy p = open(target);
    Key byRaw = p.newKey("mh2-del-raw");
    Key byHash = p.newKey("mh2-del-hash");
    assertThat(p.post("/key/delete", p.master, Map.of("keys", List.of(byRaw.raw()))).status())
        .isEqualTo(200);
    assertThat(p.post("/key/delete", p.master, Map.of("keys", List.of(byHash.hash()))).status())
        .isEqualTo(200);
    assertDeletedOnInfo(p, byRaw.hash());
    assertDeletedOnInfo(p, byHash.hash());
  }

  @ConformanceCase
  @DisplayName("must-have 2: /key/update and /key/block accept the raw key or its hash")
  void updateAndBlockAcceptRawOrHash(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh2-upd");
    String a1 = p.alias("mh2-upd-a1");
    String a2 = p.alias("mh2-upd-a2");
    assertThat(p.post("/key/update", p.master, Map.of("key", k.raw(), "key_alias", a1)).status())
        .isEqualTo(200);
    assertThat(p.info(k.hash()).json().path("info").path("key_alias").asText()).isEqualTo(a1);
    assertThat(p.post("/key/update", p.master, Map.of("key", k.hash(), "key_alias", a2)).status())
        .isEqualTo(200);
    assertThat(p.info(k.hash()).json().path("info").path("key_alias").asText()).isEqualTo(a2);
    assertThat(p.post("/key/block", p.master, Map.of("key", k.raw())).status()).isEqualTo(200);
    assertThat(p.info(k.hash()).json().path("info").path("blocked").asBoolean()).isTrue();
    assertThat(p.post("/key/unblock", p.master, Map.of("key", k.hash())).status()).isEqualTo(200);
    assertThat(p.info(k.hash()).json().path("info").path("blocked").asBoolean()).isFalse();
  }

  @ConformanceCase
  @DisplayName("must-have 2: a hash used as the bearer -> 401 'LiteLLM Virtual Key expected'")
  void hashAsBearerRejected(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh2-bearer");
    Resp r = p.get("/v1/models", k.hash());
    assertShapeA(r, 401, "auth_error");
    assertThat(r.message())
        .contains("LiteLLM Virtual Key expected. Received=")
        .contains(k.hash().substring(0, 4) + "****" + k.hash().substring(60))
        .contains("expected to start with 'sk-'.")
        .doesNotContain(k.hash());
    // The raw key itself works.
    assertThat(p.get("/v1/models", k.raw()).status()).isEqualTo(200);
  }

  // ------------------------------------------------------------------ must-have 3

  @ConformanceCase
  @DisplayName("must-have 3: the master key authenticates; near-misses of it do not")
  void masterKeyExactMatch(Target target) {
    Proxy p = open(target);
    assertThat(p.get("/key/list", p.master).status()).isEqualTo(200);
    for (String nearMiss :
        List.of(p.master + "x", p.master.substring(0, p.master.length() - 1), p.master + " x")) {
      Resp r = p.get("/key/list", nearMiss);
      assertThat(r.status()).as("near-miss %s", r).isEqualTo(401);
      assertShapeA(r, 401, null);
    }
  }

  @ConformanceCase
  @DisplayName("must-have 3: no Authorization header -> 401 'No api key passed in.'")
  void missingHeader(Target target) {
    Proxy p = open(target);
    Resp r = p.send("GET", "/key/list", Map.of(), null);
    assertShapeA(r, 401, "auth_error");
    assertDefaultParam(r);
    assertThat(r.message()).contains("No api key passed in.");
    Resp models = p.send("GET", "/v1/models", Map.of(), null);
    assertThat(models.status()).isEqualTo(401);
  }

  @ConformanceCase
  @DisplayName("must-have 3: a header without the Bearer prefix -> 401 'Malformed API Key'")
  void malformedHeader(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh3-malformed");
    for (String value : List.of(k.raw(), "Token " + k.raw(), "Bearer" + k.raw())) {
      Resp r = p.send("GET", "/v1/models", Map.of("Authorization", value), null);
      assertShapeA(r, 401, "auth_error");
      assertThat(r.message())
          .as("header %s", value)
          .contains("Malformed API Key passed in. Ensure Key has `Bearer ` prefix.");
    }
    Resp lower = p.send("GET", "/v1/models", Map.of("Authorization", "bearer " + k.raw()), null);
    assertThat(lower.status()).as("lowercase bearer is accepted: %s", lower).isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 3: an unknown key -> 401 token_not_found_in_db, param key")
  void unknownKey(Target target) {
    Proxy p = open(target);
    Resp r = p.get("/v1/models", unknownRawKey());
    JsonNode err = assertShapeA(r, 401, "token_not_found_in_db");
    assertThat(err.path("param").asText()).isEqualTo("key");
    assertThat(r.message())
        .startsWith("Authentication Error")
        .contains("Invalid proxy server token");
  }

  @ConformanceCase
  @DisplayName(
      "must-have 3: an expired key -> 401 expired_key (400 in 1.82.3), param sk-...last4 of the hash")
  void expiredKey(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh3-expired", "duration", "1s");
    if (p.isEmulator()) {
      assertThat(p.get("/v1/models", k.raw()).status()).isEqualTo(200);
    }
    pass(p, Duration.ofMillis(2500));
    Resp r = p.get("/v1/models", k.raw());
    JsonNode err = assertShapeA(r, older(p) ? 400 : 401, "expired_key");
    // abbreviate_api_key runs after api_key was rebound to its hash: the hash's last four.
    assertThat(err.path("param").asText()).isEqualTo("sk-..." + k.hash().substring(60));
    assertThat(r.message()).contains("Expired Key").contains("Key Expiry time");
  }

  @ConformanceCase
  @DisplayName("must-have 3: a blocked key -> 401 auth_error 'Key is blocked'")
  void blockedKey(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh3-blocked");
    Key bornBlocked = p.newKey("mh3-born-blocked", "blocked", true);
    assertThat(p.post("/key/block", p.master, Map.of("key", k.raw())).status()).isEqualTo(200);
    for (Key blocked : List.of(k, bornBlocked)) {
      Resp r = p.get("/v1/models", blocked.raw());
      assertShapeA(r, 401, "auth_error");
      assertThat(r.message())
          .contains("Key is blocked. Update via `/key/unblock` if you're an admin.");
    }
  }

  // ------------------------------------------------------------------ must-have 4

  @ConformanceCase
  @DisplayName("must-have 4: key_type llm_api -> 403 detail on /key/info, 200 on /v1/models")
  void llmApiKey(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh4-llm", "key_type", "llm_api");
    assertThat(texts(k.generated().path("allowed_routes"))).containsExactly("llm_api_routes");
    Resp info = p.get("/key/info", k.raw());
    assertDetail(info, 403);
    assertThat(info.json())
        .isEqualTo(
            JSON.valueToTree(
                Map.of(
                    "detail",
                    "Virtual key is not allowed to call this route. Only allowed to call routes:"
                        + " ['llm_api_routes']. Tried to call route: /key/info")));
    assertThat(p.get("/v1/models", k.raw()).status()).isEqualTo(200);
    assertThat(p.get("/models", k.raw()).status()).isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 4: key_type read_only and management map to info/management routes")
  void readOnlyAndManagementKeys(Target target) {
    Proxy p = open(target);
    Key ro = p.newKey("mh4-ro", "key_type", "read_only");
    assertThat(texts(ro.generated().path("allowed_routes"))).containsExactly("info_routes");
    assertThat(p.get("/key/info", ro.raw()).status()).isEqualTo(200);
    assertThat(p.get("/v1/models", ro.raw()).status()).isEqualTo(200);
    Resp gen = p.post("/key/generate", ro.raw(), Map.of());
    if (older(p)) {
      assertOnlyProxyAdmin(gen);
    } else {
      assertThat(assertDetail(gen, 403).asText())
          .isEqualTo(
              "Virtual key is not allowed to call this route. Only allowed to call routes:"
                  + " ['info_routes']. Tried to call route: /key/generate");
    }

    Key mg = p.newKey("mh4-mgmt", "key_type", "management");
    assertThat(texts(mg.generated().path("allowed_routes"))).containsExactly("management_routes");
    assertThat(p.get("/key/info", mg.raw()).status()).isEqualTo(200);
    assertThat(assertDetail(p.get("/v1/models", mg.raw()), 403).asText())
        .contains("Virtual key is not allowed to call this route.")
        .endsWith("Tried to call route: /v1/models");
  }

  @ConformanceCase
  @DisplayName("must-have 4: allowed_routes prefix matching stops at a / boundary")
  void prefixOnSlashBoundary(Target target) {
    Proxy p = open(target);
    Key v1 = p.newKey("mh4-prefix", "allowed_routes", List.of("/v1"));
    assertThat(p.get("/v1/models", v1.raw()).status()).isEqualTo(200);
    assertThat(assertDetail(p.get("/models", v1.raw()), 403).asText())
        .isEqualTo(
            "Virtual key is not allowed to call this route. Only allowed to call routes:"
                + " ['/v1']. Tried to call route: /models");
    Key partial = p.newKey("mh4-partial", "allowed_routes", List.of("/v1/mod"));
    assertDetail(p.get("/v1/models", partial.raw()), 403);
    Key exact = p.newKey("mh4-exact", "allowed_routes", List.of("/key/info", "/v1/models"));
    assertThat(p.get("/key/info", exact.raw()).status()).isEqualTo(200);
    assertThat(p.get("/v1/models", exact.raw()).status()).isEqualTo(200);
    assertThat(assertDetail(p.get("/models", exact.raw()), 403).asText())
        .contains("Only allowed to call routes: ['/key/info', '/v1/models'].");
  }

  @ConformanceCase
  @DisplayName("must-have 4: allowed_routes * wildcards and group names")
  void wildcardsAndGroups(Target target) {
    Proxy p = open(target);
    Key w = p.newKey("mh4-wild", "allowed_routes", List.of("/v1/*"));
    assertThat(p.get("/v1/models", w.raw()).status()).isEqualTo(200);
    assertThat(assertDetail(p.get("/key/info", w.raw()), 403).asText())
        .isEqualTo(
            "Virtual key is not allowed to call this route. Only allowed to call routes:"
                + " ['/v1/*']. Tried to call route: /key/info");
    Key inf = p.newKey("mh4-wild2", "allowed_routes", List.of("/key/inf*"));
    assertThat(p.get("/key/info", inf.raw()).status()).isEqualTo(200);
    assertDetail(p.get("/key/list", inf.raw()), 403);
    Key group = p.newKey("mh4-group", "allowed_routes", List.of("info_routes"));
    assertThat(p.get("/key/info", group.raw()).status()).isEqualTo(200);
    assertThat(p.get("/v1/models", group.raw()).status()).isEqualTo(200);
    Resp gen = p.post("/key/generate", group.raw(), Map.of());
    if (older(p)) {
      assertOnlyProxyAdmin(gen);
    } else {
      assertDetail(gen, 403);
    }
  }

  /**
   * 1.82.3 refuses a key write by a key without a user (role unknown) before it looks at
   * allowed_routes: 401 auth_error "Only proxy admin ...". 1.106.12 checks allowed_routes first.
   */
  static void assertOnlyProxyAdmin(Resp r) {
    assertShapeA(r, 401, "auth_error");
    assertThat(r.message()).contains("Only proxy admin can be used to generate, delete, update");
  }

  @ConformanceCase
  @DisplayName("must-have 4: allowed_routes applies to proxy_admin keys too")
  void allowedRoutesForAdmins(Target target) {
    Proxy p =
        openEmulator(target, "needs user(id, proxy_admin)", b -> b.user("adm", "proxy_admin"));
    Key admin = p.newKey("mh4-admin", "user_id", "adm", "key_type", "llm_api");
    assertThat(assertDetail(p.get("/key/list", admin.raw()), 403).asText())
        .isEqualTo(
            "Virtual key is not allowed to call this route. Only allowed to call routes:"
                + " ['llm_api_routes']. Tried to call route: /key/list");
    Key unrestricted = p.newKey("mh4-admin2", "user_id", "adm");
    assertThat(p.get("/key/list", unrestricted.raw()).status()).isEqualTo(200);
    assertThat(p.post("/key/generate", unrestricted.raw(), Map.of()).status()).isEqualTo(200);
  }

  // ------------------------------------------------------------------ must-have 5

  @ConformanceCase
  @DisplayName(
      "must-have 5: a key without user_id -> 401 'Only proxy admin' on generate/update/delete")
  void adminOnlyRoutes(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh5-nouser");
    Key victim = p.newKey("mh5-victim");
    Map<String, Map<String, Object>> calls =
        Map.of(
            "/key/generate", Map.of("key_alias", p.alias("mh5-gen")),
            "/key/update", Map.of("key", victim.hash(), "models", List.of("x")),
            "/key/delete", Map.of("keys", List.of(victim.hash())));
    for (Map.Entry<String, Map<String, Object>> c : calls.entrySet()) {
      Resp r = p.post(c.getKey(), k.raw(), c.getValue());
      assertShapeA(r, 401, "auth_error");
      assertThat(r.message())
          .as(c.getKey())
          .contains(
              "Only proxy admin can be used to generate, delete, update info for new"
                  + " keys/users/teams")
          .contains("Route=" + c.getKey());
    }
    // Nothing happened to the victim.
    Resp info = p.info(victim.hash());
    assertThat(info.status()).isEqualTo(200);
    assertThat(texts(info.json().path("info").path("models"))).isEmpty();
  }
}
