package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;

/**
 * Conformance, must-haves 12-13: regenerate, {@code /key/update}, {@code /key/block} and {@code
 * /key/unblock} ({@code regenerate_key_fn}, {@code update_key_fn}, {@code block_key} and {@code
 * unblock_key} in {@code litellm/proxy/management_endpoints/key_management_endpoints.py} of
 * BerriAI/litellm).
 */
class LiteLlmConformanceWritesTest extends LiteLlmConformanceBase {

  // ------------------------------------------------------------------ must-have 12

  @ConformanceCase
  @DisplayName("must-have 12: unlicensed regenerate -> 500 'Enterprise feature'; old key unchanged")
  void regenerateUnlicensed(Target target) {
    Proxy p = open(target);
    Assumptions.assumeFalse(p.licensed, "SKIPPED: the proxy is licensed (" + ENV_LICENSED + ")");
    Key k = p.newKey("mh12-unlic");
    for (Resp r :
        List.of(
            p.post("/key/" + k.raw() + "/regenerate", p.master, Map.of()),
            p.post("/key/regenerate", p.master, Map.of("key", k.hash())))) {
      assertShapeA(r, 500, "internal_server_error");
      assertThat(r.message())
          .contains(
              "Regenerating Virtual Keys is an Enterprise feature, You must be a LiteLLM"
                  + " Enterprise user to use this feature.");
    }
    assertThat(p.get("/v1/models", k.raw()).status()).isEqualTo(200);
    assertThat(p.info(k.hash()).status()).isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 12: licensed regenerate: new key, token null, alias/expiry/spend kept")
  void regenerateLicensed(Target target) {
    Proxy p = openEmulator(target, "licensed mode", b -> b.licensed(true));
    Key old = p.newKey("mh12-lic", "duration", "7d", "models", List.of("gpt-4o-mini"));
    Resp r = p.post("/key/" + old.raw() + "/regenerate", p.master, Map.of());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode j = r.json();
    String fresh = j.path("key").asText();
    assertThat(fresh).matches("^sk-[A-Za-z0-9_-]{22}$").isNotEqualTo(old.raw());
    assertThat(j.has("token") && j.path("token").isNull()).as("token is null").isTrue();
    assertThat(j.path("token_id").asText()).isEqualTo(sha256(fresh));
    assertThat(j.path("key_name").asText()).isEqualTo("sk-..." + fresh.substring(21));
    assertThat(j.path("key_alias").asText()).isEqualTo(old.alias());
    assertThat(instant(j.path("expires"))).isEqualTo(instant(old.generated().path("expires")));
    JsonNode info = p.info(fresh).json().path("info");
    assertThat(info.path("key_alias").asText()).isEqualTo(old.alias());
    assertThat(texts(info.path("models"))).containsExactly("gpt-4o-mini");
    assertThat(instant(info.path("created_at")))
        .isEqualTo(instant(old.generated().path("created_at")));
    // No grace period: the old key stops at once.
    assertShapeA(p.get("/v1/models", old.raw()), 401, "token_not_found_in_db");
    assertThat(p.get("/v1/models", fresh).status()).isEqualTo(200);
    assertThat(p.emulator().liveKeys())
        .extracting(EmulatedKey::tokenHash)
        .containsExactly(sha256(fresh));
  }

  @ConformanceCase
  @DisplayName("must-have 12: with grace_period the old key works as the new row until revoke_at")
  void regenerateGracePeriod(Target target) {
    Proxy p = openEmulator(target, "licensed mode and advanceClock", b -> b.licensed(true));
    Key old = p.newKey("mh12-grace");
    Resp r = p.post("/key/regenerate", p.master, Map.of("key", old.hash(), "grace_period", "1h"));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    String fresh = r.json().path("key").asText();
    String freshHash = sha256(fresh);
    assertThat(p.get("/v1/models", old.raw()).status()).as("old key in grace").isEqualTo(200);
    Resp self = p.get("/key/info", old.raw());
    assertThat(self.status()).isEqualTo(200);
    assertThat(self.json().path("key").asText()).as("resolves to the new row").isEqualTo(freshHash);
    // 1.106.12 archives the regenerated-away row: /key/info of the old key shows it deleted.
    assertDeletedOnInfo(p, old.raw());
    assertShapeB(
        p.post("/key/delete", p.master, Map.of("keys", List.of(old.raw()))), 404, "No keys found");
    p.emulator().advanceClock(Duration.ofMinutes(61));
    assertShapeA(p.get("/v1/models", old.raw()), 401, "token_not_found_in_db");
    assertThat(p.get("/v1/models", fresh).status()).isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 12: licensed regenerate: unknown key -> 404, new_key without sk- -> 400")
  void regenerateErrors(Target target) {
    Proxy p = openEmulator(target, "licensed mode", b -> b.licensed(true));
    String unknown = unknownRawKey();
    Resp missing = p.post("/key/" + unknown + "/regenerate", p.master, Map.of());
    assertShapeB(missing, 404, "Key " + unknown + " not found.");
    Key k = p.newKey("mh12-newkey");
    Resp bad = p.post("/key/regenerate", p.master, Map.of("key", k.hash(), "new_key", "abc123"));
    assertShapeB(bad, 400, "New key must start with 'sk-'.");
    assertThat(p.get("/v1/models", k.raw()).status()).as("unchanged").isEqualTo(200);
    String chosen = "sk-conf-chosen-" + randomSuffix(12);
    Resp ok = p.post("/key/regenerate", p.master, Map.of("key", k.hash(), "new_key", chosen));
    assertThat(ok.status()).isEqualTo(200);
    assertThat(ok.json().path("key").asText()).isEqualTo(chosen);
    assertThat(ok.json().path("token_id").asText()).isEqualTo(sha256(chosen));
  }

  @ConformanceCase
  @DisplayName("must-have 12: master-key rotation works unlicensed; without new_master_key -> 400")
  void masterKeyRotation(Target target) {
    // Never against a real proxy: it would re-encrypt the proxy's stored credentials.
    Proxy p =
        openEmulator(target, "rotating a real master key re-encrypts the proxy's DB", b -> {});
    Resp missing = p.post("/key/regenerate", p.master, Map.of("key", p.master));
    assertShapeB(missing, 400, "New master key is required.");
    String next = "sk-conf-next-master-" + randomSuffix(12);
    Resp ok = p.post("/key/regenerate", p.master, Map.of("key", p.master, "new_master_key", next));
    assertThat(ok.status()).as(ok.body()).isEqualTo(200);
    assertThat(ok.json().path("key").asText()).isEqualTo(next);
    assertThat(ok.json().path("expires").isNull()).isTrue();
    assertThat(p.get("/key/list", p.master).status()).as("running master unchanged").isEqualTo(200);
  }

  // ------------------------------------------------------------------ must-have 13

  @ConformanceCase
  @DisplayName("must-have 13: /key/update applies only the fields sent and answers {key, ...row}")
  void updateOnlySentFields(Target target) {
    Proxy p = open(target);
    Key k =
        p.newKey(
            "mh13-upd",
            "models",
            List.of("gpt-4o-mini"),
            "metadata",
            Map.of("team", "a"),
            "max_budget",
            5.0,
            "duration",
            "1h");
    Resp r = p.post("/key/update", p.master, Map.of("key", k.hash(), "models", List.of("m-2")));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().path("key").asText()).isEqualTo(k.hash());
    assertThat(r.json().path("token").asText()).isEqualTo(k.hash());
    JsonNode info = p.info(k.hash()).json().path("info");
    assertThat(texts(info.path("models"))).containsExactly("m-2");
    assertThat(info.path("key_alias").asText()).isEqualTo(k.alias());
    assertThat(info.path("metadata").path("team").asText()).isEqualTo("a");
    assertThat(info.path("max_budget").asDouble()).isEqualTo(5.0);
    assertThat(instant(info.path("expires"))).isEqualTo(instant(k.generated().path("expires")));
    Resp byRaw = p.post("/key/update", p.master, Map.of("key", k.raw(), "max_budget", 7.0));
    assertThat(byRaw.json().path("key").asText()).as("key echoed as passed").isEqualTo(k.raw());
    assertThat(p.info(k.hash()).json().path("info").path("max_budget").asDouble()).isEqualTo(7.0);
  }

  @ConformanceCase
  @DisplayName("must-have 13: /key/update duration null = never expire; a value = now + duration")
  void updateDuration(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh13-dur", "duration", "1h");
    assertThat(k.generated().path("expires").isNull()).isFalse();
    Resp never = p.post("/key/update", p.master, body("key", k.hash(), "duration", null));
    assertThat(never.status()).as(never.body()).isEqualTo(200);
    assertThat(p.info(k.hash()).json().path("info").path("expires").isNull()).isTrue();
    Instant before = Instant.now();
    Resp two = p.post("/key/update", p.master, body("key", k.hash(), "duration", "2h"));
    assertThat(two.status()).isEqualTo(200);
    Instant exp = instant(p.info(k.hash()).json().path("info").path("expires"));
    assertThat(exp)
        .isBetween(
            before.plus(Duration.ofHours(2)).minus(LiteLlmConformanceGenerateTest.SKEW),
            Instant.now().plus(Duration.ofHours(2)).plus(LiteLlmConformanceGenerateTest.SKEW));
  }

  @ConformanceCase
  @DisplayName("must-have 13: /key/update enforces alias uniqueness, excluding the key itself")
  void updateAliasUniqueness(Target target) {
    Proxy p = open(target);
    Key a = p.newKey("mh13-alias-a");
    Key b = p.newKey("mh13-alias-b");
    Resp clash = p.post("/key/update", p.master, Map.of("key", a.hash(), "key_alias", b.alias()));
    JsonNode err = assertShapeA(clash, 400, "bad_request_error");
    assertThat(err.path("param").asText()).isEqualTo("key_alias");
    assertThat(clash.message())
        .isEqualTo(
            "Key with alias '"
                + b.alias()
                + "' already exists. Unique key aliases across all keys are required.");
    assertThat(p.info(a.hash()).json().path("info").path("key_alias").asText())
        .isEqualTo(a.alias());
    Resp self = p.post("/key/update", p.master, Map.of("key", a.hash(), "key_alias", a.alias()));
    assertThat(self.status()).as(self.body()).isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 13: /key/update of an unknown key -> 404 (1.106.12), 401 (1.82.3)")
  void updateUnknown(Target target) {
    Proxy p = open(target);
    Resp r = p.post("/key/update", p.master, Map.of("key", unknownRawKey(), "models", List.of()));
    if (older(p)) {
      assertShapeA(r, 401, "auth_error");
      assertThat(r.message()).contains("user key does not exist in db");
    } else {
      JsonNode err = assertShapeA(r, 404, "not_found_error");
      assertThat(r.message()).isEqualTo("Key not found.");
      assertThat(err.path("param").asText()).isEqualTo("key");
    }
  }

  @ConformanceCase
  @DisplayName("must-have 13: /key/block and /key/unblock toggle blocked and return the row")
  void blockToggle(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh13-block");
    Resp blocked = p.post("/key/block", p.master, Map.of("key", k.raw()));
    assertThat(blocked.status()).isEqualTo(200);
    assertThat(blocked.json().path("blocked").asBoolean()).isTrue();
    assertThat(blocked.json().path("token").asText()).isEqualTo(k.hash());
    assertThat(blocked.json().path("key_alias").asText()).isEqualTo(k.alias());
    assertThat(p.get("/v1/models", k.raw()).status()).isEqualTo(401);
    Resp unblocked = p.post("/key/unblock", p.master, Map.of("key", k.hash()));
    assertThat(unblocked.status()).isEqualTo(200);
    assertThat(unblocked.json().path("blocked").asBoolean(true)).isFalse();
    assertThat(unblocked.json().path("token").asText()).isEqualTo(k.hash());
    assertThat(p.get("/v1/models", k.raw()).status()).isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 13: /key/block and /key/unblock validate the key format -> 400")
  void blockInvalidFormat(Target target) {
    Proxy p = open(target);
    for (String bad :
        List.of(
            "not a key!",
            "sk-has.a.dot",
            "sk",
            "sk-" + "a".repeat(98),
            "abcdef",
            sha256("x").substring(1))) {
      for (String route : List.of("/key/block", "/key/unblock")) {
        Resp r = p.post(route, p.master, Map.of("key", bad));
        assertShapeA(r, 400, null);
        assertThat(r.message()).as("%s %s", route, bad).contains("Invalid key format.");
      }
    }
  }
}
