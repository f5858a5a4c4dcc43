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
 * Conformance, must-haves 6-9: {@code POST /key/generate} ({@code generate_key_fn} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm).
 */
class LiteLlmConformanceGenerateTest extends LiteLlmConformanceBase {
  /** Clock skew allowed between this machine and a real proxy. */
  static final Duration SKEW = Duration.ofMinutes(2);

  // ------------------------------------------------------------------ must-have 6

  @ConformanceCase
  @DisplayName(
      "must-have 6: generate answers 200 in GenerateKeyResponse shape (raw key, token = token_id)")
  void responseShape(Target target) {
    Proxy p = open(target);
    String alias = p.alias("mh6-shape");
    Resp r =
        p.generate(
            body(
                "key_alias",
                alias,
                "models",
                List.of("gpt-4o-mini"),
                "max_budget",
                12.5,
                "metadata",
                Map.of("owner", "conformance"),
                "soft_budget",
                3.0));
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    JsonNode j = r.json();
    String raw = j.path("key").asText();
    assertThat(raw).startsWith("sk-");
    assertThat(j.path("token").asText()).isEqualTo(sha256(raw));
    assertThat(j.path("token_id").asText()).isEqualTo(sha256(raw));
    assertThat(j.path("key_name").asText()).isEqualTo("sk-..." + raw.substring(raw.length() - 4));
    assertThat(j.path("key_alias").asText()).isEqualTo(alias);
    assertThat(j.has("expires") && j.path("expires").isNull()).as("expires null").isTrue();
    assertThat(texts(j.path("models"))).containsExactly("gpt-4o-mini");
    assertThat(j.path("spend").asDouble()).isEqualTo(0.0);
    assertThat(j.path("max_budget").asDouble()).isEqualTo(12.5);
    assertThat(j.path("metadata").path("owner").asText()).isEqualTo("conformance");
    assertThat(j.has("soft_budget")).as("soft_budget dropped by the response model").isFalse();
    for (String field :
        List.of(
            "user_id",
            "team_id",
            "blocked",
            "allowed_routes",
            "created_by",
            "created_at",
            "updated_at",
            "duration",
            "tpm_limit",
            "rpm_limit")) {
      assertThat(j.has(field)).as("field %s in %s", field, j).isTrue();
    }
    instant(j.path("created_at"));
  }

  @ConformanceCase
  @DisplayName("must-have 6: expires = now + duration; unknown fields such as expires are ignored")
  void expiresFromDuration(Target target) {
    Proxy p = open(target);
    Instant before = Instant.now();
    Key hour = p.newKey("mh6-1h", "duration", "1h");
    Key month = p.newKey("mh6-30d", "duration", "30d");
    Instant after = Instant.now();
    Instant exp = instant(hour.generated().path("expires"));
    assertThat(exp)
        .isBetween(
            before.plus(Duration.ofHours(1)).minus(SKEW),
            after.plus(Duration.ofHours(1)).plus(SKEW));
    assertThat(instant(month.generated().path("expires")))
        .isBetween(
            before.plus(Duration.ofDays(30)).minus(SKEW),
            after.plus(Duration.ofDays(30)).plus(SKEW));
    assertThat(instant(p.info(hour.hash()).json().path("info").path("expires"))).isEqualTo(exp);

    Key ignored =
        p.newKey("mh6-ignored", "expires", "2031-01-01T00:00:00Z", "kt_unknown_field", "x");
    assertThat(ignored.generated().path("expires").isNull()).isTrue();
    assertThat(ignored.generated().has("kt_unknown_field"))
        .as("an unknown request field is not in the response: %s", ignored.generated())
        .isFalse();
    JsonNode info = p.info(ignored.hash()).json().path("info");
    assertThat(info.path("expires").isNull()).isTrue();
    assertThat(info.has("kt_unknown_field")).isFalse();
  }

  @ConformanceCase
  @DisplayName("must-have 6: a custom key without sk- -> 400 shape B, nothing stored")
  void customKeyWithoutPrefix(Target target) {
    Proxy p = open(target);
    String bad = "abcd-not-a-litellm-key-" + randomSuffix(6) + "wxyz";
    Resp r = p.generate(body("key", bad, "key_alias", p.alias("mh6-badkey")));
    assertShapeB(r, 400, "Invalid key format. LiteLLM Virtual Key must start with 'sk-'.");
    assertThat(r.message()).contains("Received: abcd****wxyz").doesNotContain(bad);
    assertThat(p.info(sha256(bad)).status()).isEqualTo(404);
  }

  @ConformanceCase
  @DisplayName("must-have 6: a negative max_budget or soft_budget -> 400")
  void negativeBudget(Target target) {
    Proxy p = open(target);
    String alias = p.alias("mh6-neg");
    Resp r = p.generate(body("key_alias", alias, "max_budget", -1.5));
    assertShapeA(r, 400, null);
    // Wording: 1.82.3 "cannot be negative", 1.106.12 "must be a non-negative finite number".
    assertThat(r.message())
        .contains(
            older(p)
                ? "max_budget cannot be negative. Received: -1.5"
                : "max_budget must be a non-negative finite number. Received: -1.5");
    Resp soft = p.generate(body("key_alias", alias, "soft_budget", -2.5));
    assertShapeA(soft, 400, null);
    assertThat(soft.message())
        .contains(
            older(p)
                ? "soft_budget cannot be negative. Received: -2.5"
                : "soft_budget must be a non-negative finite number. Received: -2.5");
    Resp listed = p.get("/key/list?key_alias=" + enc(alias), p.master);
    assertThat(listed.json().path("total_count").asInt()).isZero();
  }

  @ConformanceCase
  @DisplayName("must-have 6: successful POSTs answer 200, never 201")
  void postsAnswer200(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh6-200");
    assertThat(p.post("/key/update", p.master, Map.of("key", k.hash())).status()).isEqualTo(200);
    assertThat(p.post("/key/block", p.master, Map.of("key", k.hash())).status()).isEqualTo(200);
    assertThat(p.post("/key/delete", p.master, Map.of("keys", List.of(k.hash()))).status())
        .isEqualTo(200);
  }

  // ------------------------------------------------------------------ must-have 7

  @ConformanceCase
  @DisplayName(
      "must-have 7: a duplicate key_alias -> 400 shape A bad_request_error param key_alias")
  void duplicateAlias(Target target) {
    Proxy p = open(target);
    Key first = p.newKey("mh7-dup");
    Resp r = p.generate(body("key_alias", first.alias()));
    assertThat(r.json())
        .as("exact body")
        .isEqualTo(
            JSON.valueToTree(
                Map.of(
                    "error",
                    Map.of(
                        "message",
                        "Key with alias '"
                            + first.alias()
                            + "' already exists. Unique key aliases across all keys are required.",
                        "type",
                        "bad_request_error",
                        "param",
                        "key_alias",
                        "code",
                        "400"))));
    assertThat(r.status()).isEqualTo(400);
    Resp listed = p.get("/key/list?key_alias=" + enc(first.alias()), p.master);
    assertThat(texts(listed.json().path("keys"))).containsExactly(first.hash());
  }

  @ConformanceCase
  @DisplayName("must-have 7: an alias is free again once its key is deleted (by key or by alias)")
  void aliasReleasedOnDelete(Target target) {
    Proxy p = open(target);
    Key first = p.newKey("mh7-free");
    assertThat(p.post("/key/delete", p.master, Map.of("keys", List.of(first.hash()))).status())
        .isEqualTo(200);
    Key second = p.newKey(body("key_alias", first.alias()));
    assertThat(second.hash()).isNotEqualTo(first.hash());
    assertThat(
            p.post("/key/delete", p.master, Map.of("key_aliases", List.of(first.alias()))).status())
        .isEqualTo(200);
    Key third = p.newKey(body("key_alias", first.alias()));
    assertThat(third.alias()).isEqualTo(first.alias());
  }

  // ------------------------------------------------------------------ must-have 8

  @ConformanceCase
  @DisplayName("must-have 8: a duplicate custom key is a silent 200 with the old created_at")
  void duplicateCustomKeySilent(Target target) {
    Proxy p = open(target);
    String custom = "sk-conf-dup-" + randomSuffix(16);
    Key first = p.newKey("mh8-a", "key", custom, "models", List.of("gpt-4o-mini"));
    sleep(Duration.ofMillis(50));
    String alias2 = p.alias("mh8-b");
    Resp again = p.generate(body("key", custom, "key_alias", alias2, "models", List.of("x-model")));
    assertThat(again.status()).as(again.body()).isEqualTo(200);
    JsonNode j = again.json();
    assertThat(j.path("key").asText()).isEqualTo(custom);
    assertThat(j.path("token_id").asText()).isEqualTo(first.hash());
    assertThat(j.path("key_alias").asText()).as("echoes the request").isEqualTo(alias2);
    assertThat(instant(j.path("created_at")))
        .as("created_at of the existing row")
        .isEqualTo(instant(first.generated().path("created_at")));
    JsonNode info = p.info(custom).json().path("info");
    assertThat(info.path("key_alias").asText()).as("row unchanged").isEqualTo(first.alias());
    assertThat(texts(info.path("models"))).containsExactly("gpt-4o-mini");
    assertThat(
            p.get("/key/list?key_alias=" + enc(alias2), p.master)
                .json()
                .path("total_count")
                .asInt())
        .isZero();
  }

  @ConformanceCase
  @DisplayName("must-have 8: with rejectDuplicateKeys (PR #36435) a duplicate custom key -> 400")
  void duplicateCustomKeyRejectedBehindFlag(Target target) {
    Proxy p =
        openEmulator(target, "the rejectDuplicateKeys flag", b -> b.rejectDuplicateKeys(true));
    String custom = "sk-conf-dup-" + randomSuffix(16);
    Key first = p.newKey("mh8-flag", "key", custom);
    Resp again = p.generate(body("key", custom, "key_alias", p.alias("mh8-flag2")));
    assertShapeA(again, 400, null);
    assertThat(p.emulator().liveKeys()).hasSize(1);
    assertThat(p.info(custom).json().path("info").path("key_alias").asText())
        .isEqualTo(first.alias());
  }

  // ------------------------------------------------------------------ must-have 9

  @ConformanceCase
  @DisplayName(
      "must-have 9: unlicensed, tags/guardrails -> 403; a non-empty model_max_budget -> 500")
  void premiumFieldsUnlicensed(Target target) {
    Proxy p = open(target);
    Assumptions.assumeFalse(p.licensed, "SKIPPED: the proxy is licensed (" + ENV_LICENSED + ")");
    String alias = p.alias("mh9");
    Map<String, Object> premium = Map.of("tags", List.of("team-a"), "guardrails", List.of("pii"));
    for (Map.Entry<String, Object> f : premium.entrySet()) {
      Resp r = p.generate(body("key_alias", alias, f.getKey(), f.getValue()));
      assertShapeA(r, 403, null);
      assertThat(r.message())
          .as(f.getKey())
          .contains("This feature is only available for LiteLLM Enterprise users")
          .contains(f.getKey());
    }
    // validate_model_max_budget raises a ValueError, so the proxy answers 500 (both releases).
    Resp mmb =
        p.generate(
            body(
                "key_alias",
                alias,
                "model_max_budget",
                Map.of("gpt-4o-mini", Map.of("max_budget", 1.0))));
    assertShapeA(mmb, 500, null);
    assertThat(mmb.message())
        .contains("You must have an enterprise license to set model_max_budget");
    assertThat(
            p.get("/key/list?key_alias=" + enc(alias), p.master).json().path("total_count").asInt())
        .isZero();
    // An empty model_max_budget is not a premium use.
    assertThat(p.generate(body("key_alias", alias, "model_max_budget", Map.of())).status())
        .isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 9: licensed, tags are accepted and stored in metadata.tags")
  void premiumFieldsLicensed(Target target) {
    Proxy p = openEmulator(target, "licensed mode", b -> b.licensed(true));
    Key k = p.newKey("mh9-lic", "tags", List.of("team-a"));
    assertThat(texts(p.info(k.hash()).json().path("info").path("metadata").path("tags")))
        .containsExactly("team-a");
  }
}
