package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;

/**
 * Conformance, must-haves 10-11: {@code GET /key/info} and {@code POST /key/delete} ({@code
 * info_key_fn} and {@code delete_key_fn} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm).
 */
class LiteLlmConformanceInfoDeleteTest extends LiteLlmConformanceBase {

  // ------------------------------------------------------------------ must-have 10

  @ConformanceCase
  @DisplayName("must-have 10: /key/info answers {key: as passed, info: row without token}")
  void infoShape(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh10-shape", "models", List.of("gpt-4o-mini"), "metadata", Map.of("a", 1));
    Resp r = p.info(k.raw());
    assertThat(r.status()).isEqualTo(200);
    List<String> top = new ArrayList<>();
    r.json().fieldNames().forEachRemaining(top::add);
    assertThat(top).containsExactlyInAnyOrder("key", "info");
    assertThat(r.json().path("key").asText()).isEqualTo(k.raw());
    JsonNode info = r.json().path("info");
    assertThat(info.has("token")).as("no token in info: %s", info).isFalse();
    for (String field :
        List.of(
            "spend",
            "expires",
            "blocked",
            "models",
            "metadata",
            "key_alias",
            "key_name",
            "last_active",
            "created_at",
            "updated_at",
            "rotation_count",
            "auto_rotate",
            "rotation_interval",
            "last_rotation_at",
            "key_rotation_at")) {
      assertThat(info.has(field)).as("info.%s in %s", field, info).isTrue();
    }
    assertThat(info.path("key_alias").asText()).isEqualTo(k.alias());
    assertThat(info.path("key_name").asText()).isEqualTo("sk-..." + k.raw().substring(21));
    assertThat(texts(info.path("models"))).containsExactly("gpt-4o-mini");
    assertThat(info.path("metadata").path("a").asInt()).isEqualTo(1);
    assertThat(info.path("spend").asDouble()).isZero();
    assertThat(info.path("last_active").isNull()).isTrue();
    instant(info.path("created_at"));
    instant(info.path("updated_at"));
  }

  @ConformanceCase
  @DisplayName("must-have 10: /key/info without a parameter describes the caller's own key")
  void infoOfSelf(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh10-self");
    Resp r = p.get("/key/info", k.raw());
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().path("key").asText()).as("the caller's hash").isEqualTo(k.hash());
    assertThat(r.json().path("info").path("key_alias").asText()).isEqualTo(k.alias());
  }

  @ConformanceCase
  @DisplayName("must-have 10: /key/info of an unknown key -> exact 404 shape A not_found_error")
  void infoUnknown(Target target) {
    Proxy p = open(target);
    for (String unknown : List.of(unknownRawKey(), sha256(unknownRawKey()))) {
      Resp r = p.info(unknown);
      assertThat(r.status()).isEqualTo(404);
      assertThat(r.json())
          .isEqualTo(
              JSON.valueToTree(
                  Map.of(
                      "error",
                      Map.of(
                          "message", "Key not found in database",
                          "type", "not_found_error",
                          "param", "key",
                          "code", "404"))));
    }
  }

  @ConformanceCase
  @DisplayName(
      "must-have 10: a non-admin reading another user's key -> 403; own user's keys -> 200")
  void infoAccessRule(Target target) {
    Proxy p = open(target);
    String u1 = p.userId("u1");
    String u2 = p.userId("u2");
    Key mine = p.newKey("mh10-u1", "user_id", u1);
    Key mineToo = p.newKey("mh10-u1b", "user_id", u1);
    Key theirs = p.newKey("mh10-u2", "user_id", u2);
    Resp denied = p.get("/key/info?key=" + theirs.hash(), mine.raw());
    assertShapeA(denied, 403, "internal_server_error");
    assertThat(denied.message()).contains("You are not allowed to access this key's info");
    assertThat(p.get("/key/info?key=" + mineToo.hash(), mine.raw()).status()).isEqualTo(200);
    // user_id None == None: 1.82.3 lets user-less keys read each other; 1.106.12 requires a
    // non-empty user_id on the key read (_can_user_query_key_info), so it refuses.
    Key a = p.newKey("mh10-none-a");
    Key b = p.newKey("mh10-none-b");
    Resp noneNone = p.get("/key/info?key=" + b.hash(), a.raw());
    if (older(p)) {
      assertThat(noneNone.status()).as(noneNone.body()).isEqualTo(200);
    } else {
      assertShapeA(noneNone, 403, "internal_server_error");
      assertThat(noneNone.message()).contains("You are not allowed to access this key's info");
    }
    assertShapeA(p.get("/key/info?key=" + mine.hash(), a.raw()), 403, "internal_server_error");
  }

  // ------------------------------------------------------------------ must-have 11

  @ConformanceCase
  @DisplayName("must-have 11: delete by keys -> 200 {deleted_keys: input}; next auth -> 401")
  void deleteByKeys(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh11-keys");
    assertThat(p.get("/v1/models", k.raw()).status()).isEqualTo(200);
    Resp r = p.post("/key/delete", p.master, Map.of("keys", List.of(k.raw())));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json()).isEqualTo(JSON.valueToTree(Map.of("deleted_keys", List.of(k.raw()))));
    assertShapeA(p.get("/v1/models", k.raw()), 401, "token_not_found_in_db");
    assertDeletedOnInfo(p, k.hash());
  }

  @ConformanceCase
  @DisplayName("must-have 11: delete by key_aliases -> 200 echoing the aliases")
  void deleteByAliases(Target target) {
    Proxy p = open(target);
    Key a = p.newKey("mh11-alias-a");
    Key b = p.newKey("mh11-alias-b");
    Resp r = p.post("/key/delete", p.master, Map.of("key_aliases", List.of(a.alias(), b.alias())));
    assertThat(r.status()).isEqualTo(200);
    assertThat(texts(r.json().path("deleted_keys"))).containsExactly(a.alias(), b.alias());
    assertDeletedOnInfo(p, a.hash());
    assertDeletedOnInfo(p, b.hash());
  }

  @ConformanceCase
  @DisplayName("must-have 11: keys wins over key_aliases when both are sent")
  void keysWin(Target target) {
    Proxy p = open(target);
    Key byKey = p.newKey("mh11-win-key");
    Key byAlias = p.newKey("mh11-win-alias");
    Resp r =
        p.post(
            "/key/delete",
            p.master,
            Map.of("keys", List.of(byKey.hash()), "key_aliases", List.of(byAlias.alias())));
    assertThat(r.status()).isEqualTo(200);
    assertThat(texts(r.json().path("deleted_keys"))).containsExactly(byKey.hash());
    assertDeletedOnInfo(p, byKey.hash());
    Resp kept = p.info(byAlias.hash());
    assertThat(kept.status()).as("alias ignored").isEqualTo(200);
    if (!older(p)) {
      assertThat(kept.json().path("info").path("status").asText()).isEqualTo("active");
    }
  }

  @ConformanceCase
  @DisplayName("must-have 11: delete with neither keys nor key_aliases -> 422")
  void deleteNeither(Target target) {
    Proxy p = open(target);
    JsonNode detail = assertValidationError(p.post("/key/delete", p.master, Map.of()));
    assertThat(detail.toString())
        .contains("At least one of 'keys' or 'key_aliases' must be provided.");
  }

  @ConformanceCase
  @DisplayName(
      "must-have 11: zero matches -> 404 'No keys found', internal_server_error, code \"404\"")
  void deleteNoMatch(Target target) {
    Proxy p = open(target);
    Resp r = p.post("/key/delete", p.master, Map.of("keys", List.of(unknownRawKey())));
    assertShapeB(r, 404, "No keys found");
    Resp aliases =
        p.post("/key/delete", p.master, Map.of("key_aliases", List.of(p.alias("nobody"))));
    assertShapeB(aliases, 404, "No keys found");
    // Deleting an already-deleted key gives exactly this (rotation clients: "already revoked").
    Key k = p.newKey("mh11-twice");
    assertThat(p.post("/key/delete", p.master, Map.of("keys", List.of(k.hash()))).status())
        .isEqualTo(200);
    assertShapeB(
        p.post("/key/delete", p.master, Map.of("keys", List.of(k.hash()))), 404, "No keys found");
  }

  @ConformanceCase
  @DisplayName("must-have 11: partial matches by an admin -> 200 echoing the input verbatim")
  void deletePartial(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh11-partial");
    List<String> input = List.of(unknownRawKey(), k.raw(), sha256(unknownRawKey()));
    Resp r = p.post("/key/delete", p.master, Map.of("keys", input));
    assertThat(r.status()).isEqualTo(200);
    assertThat(texts(r.json().path("deleted_keys"))).containsExactlyElementsOf(input);
    assertDeletedOnInfo(p, k.hash());
  }

  @ConformanceCase
  @DisplayName(
      "must-have 11: a non-owner non-admin -> 403 'not authorized to delete', nothing deleted")
  void deleteNotOwner(Target target) {
    Proxy p = openEmulator(target, "needs an internal_user key owner (user rows)", b -> {});
    Key caller = p.newKey("mh11-caller", "user_id", "u-caller");
    Key victim = p.newKey("mh11-victim", "user_id", "u-victim");
    Key own = p.newKey("mh11-own", "user_id", "u-caller");
    Resp r =
        p.post("/key/delete", caller.raw(), Map.of("keys", List.of(own.hash(), victim.hash())));
    assertShapeB(r, 403, "You are not authorized to delete this key");
    assertThat(r.message()).isEqualTo("{'error': 'You are not authorized to delete this key'}");
    assertThat(p.info(victim.hash()).status()).isEqualTo(200);
    assertThat(p.info(own.hash()).status()).as("whole call refused").isEqualTo(200);
    // The owner may delete its own key.
    assertThat(p.post("/key/delete", caller.raw(), Map.of("keys", List.of(own.hash()))).status())
        .isEqualTo(200);
    assertDeletedOnInfo(p, own.hash());
  }

  @ConformanceCase
  @DisplayName("must-have 11: with a propagation delay a deleted key authenticates until it passes")
  void deletePropagationDelay(Target target) {
    Proxy p = openEmulator(target, "needs faults().deletePropagationDelay", b -> {});
    p.emulator().faults().deletePropagationDelay(Duration.ofSeconds(60));
    Key k = p.newKey("mh11-linger");
    assertThat(p.post("/key/delete", p.master, Map.of("keys", List.of(k.hash()))).status())
        .isEqualTo(200);
    assertDeletedOnInfo(p, k.hash()); // the row is gone (archived) at once
    assertThat(p.get("/v1/models", k.raw()).status()).as("cached on another pod").isEqualTo(200);
    p.emulator().advanceClock(Duration.ofSeconds(61));
    assertShapeA(p.get("/v1/models", k.raw()), 401, "token_not_found_in_db");
  }
}
