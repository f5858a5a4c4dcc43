package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;

/**
 * Conformance, must-haves 14-15: {@code /key/list} ({@code list_keys} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm), health
 * ({@code litellm/proxy/health_endpoints/_health_endpoints.py}) and {@code /v1/models} ({@code
 * litellm/proxy/proxy_server.py}).
 */
class LiteLlmConformanceListHealthTest extends LiteLlmConformanceBase {

  // ------------------------------------------------------------------ must-have 14

  /** Three keys of one fresh user, created oldest first. */
  private static List<Key> threeKeys(Proxy p, String user) {
    List<Key> keys = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      keys.add(p.newKey("mh14-" + i, "user_id", user));
      sleep(Duration.ofMillis(20));
    }
    return keys;
  }

  @ConformanceCase
  @DisplayName("must-have 14: /key/list answers hashes ordered by created_at desc, with paging")
  void listOrderAndPaging(Target target) {
    Proxy p = open(target);
    String user = p.userId("list");
    List<Key> keys = threeKeys(p, user);
    Resp all = p.get("/key/list?user_id=" + enc(user), p.master);
    assertThat(all.status()).as(all.body()).isEqualTo(200);
    assertThat(texts(all.json().path("keys")))
        .containsExactly(keys.get(2).hash(), keys.get(1).hash(), keys.get(0).hash());
    assertThat(all.json().path("total_count").asInt()).isEqualTo(3);
    assertThat(all.json().path("current_page").asInt()).isEqualTo(1);
    assertThat(all.json().path("total_pages").asInt()).isEqualTo(1);

    Resp page1 = p.get("/key/list?size=2&page=1&user_id=" + enc(user), p.master);
    Resp page2 = p.get("/key/list?size=2&page=2&user_id=" + enc(user), p.master);
    assertThat(texts(page1.json().path("keys")))
        .containsExactly(keys.get(2).hash(), keys.get(1).hash());
    assertThat(texts(page2.json().path("keys"))).containsExactly(keys.get(0).hash());
    assertThat(page1.json().path("total_count").asInt()).isEqualTo(3);
    assertThat(page1.json().path("total_pages").asInt()).isEqualTo(2);
    assertThat(page2.json().path("current_page").asInt()).isEqualTo(2);
    assertThat(p.get("/key/list?size=100&user_id=" + enc(user), p.master).status()).isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 14: /key/list size over 100, size 0 or page 0 -> 422")
  void listValidation(Target target) {
    Proxy p = open(target);
    for (String q : List.of("size=101", "size=0", "page=0", "size=abc")) {
      Resp r = p.get("/key/list?" + q, p.master);
      JsonNode detail = assertValidationError(r);
      String param = q.substring(0, q.indexOf('='));
      assertThat(texts(detail.get(0).path("loc"))).as(q).containsExactly("query", param);
    }
  }

  @ConformanceCase
  @DisplayName("must-have 14: key_alias is an exact-match filter; team_id filters too")
  void listAliasAndTeamFilters(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh14-alias", "team_id", "kt-conf-team-" + randomSuffix(8));
    Resp exact = p.get("/key/list?key_alias=" + enc(k.alias()), p.master);
    assertThat(texts(exact.json().path("keys"))).containsExactly(k.hash());
    String prefix = k.alias().substring(0, k.alias().length() - 3);
    Resp partial = p.get("/key/list?key_alias=" + enc(prefix), p.master);
    assertThat(partial.json().path("total_count").asInt()).as("no partial match").isZero();
    String team = k.generated().path("team_id").asText();
    assertThat(texts(p.get("/key/list?team_id=" + enc(team), p.master).json().path("keys")))
        .containsExactly(k.hash());
  }

  @ConformanceCase
  @DisplayName("must-have 14: return_full_object=true answers key objects with token")
  void listFullObjects(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh14-full", "models", List.of("gpt-4o-mini"));
    Resp r = p.get("/key/list?return_full_object=true&key_alias=" + enc(k.alias()), p.master);
    assertThat(r.status()).isEqualTo(200);
    JsonNode obj = r.json().path("keys").path(0);
    assertThat(obj.isObject()).as("an object: %s", r.body()).isTrue();
    assertThat(obj.path("token").asText()).isEqualTo(k.hash());
    assertThat(obj.path("key_alias").asText()).isEqualTo(k.alias());
    assertThat(obj.path("key_name").asText()).isEqualTo("sk-..." + k.raw().substring(21));
    assertThat(texts(obj.path("models"))).containsExactly("gpt-4o-mini");
    assertThat(obj.has("expires")).isTrue();
  }

  @ConformanceCase
  @DisplayName("must-have 14: status=deleted lists deleted keys; unknown statuses -> 400")
  void listDeleted(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh14-deleted");
    Key alive = p.newKey("mh14-alive");
    assertThat(p.post("/key/delete", p.master, Map.of("keys", List.of(k.hash()))).status())
        .isEqualTo(200);
    Resp deleted = p.get("/key/list?status=deleted&key_alias=" + enc(k.alias()), p.master);
    assertThat(deleted.status()).as(deleted.body()).isEqualTo(200);
    assertThat(texts(deleted.json().path("keys"))).containsExactly(k.hash());
    Resp notDeleted = p.get("/key/list?status=deleted&key_alias=" + enc(alive.alias()), p.master);
    assertThat(notDeleted.json().path("total_count").asInt()).isZero();
    assertThat(
            p.get("/key/list?key_alias=" + enc(k.alias()), p.master)
                .json()
                .path("total_count")
                .asInt())
        .isZero();
    // 1.106.12 also filters live keys by active/expired/revoked; 1.82.3 knew only 'deleted'.
    Resp active = p.get("/key/list?status=active&key_alias=" + enc(alive.alias()), p.master);
    if (older(p)) {
      assertShapeA(active, 400, null);
    } else {
      assertThat(active.status()).as(active.body()).isEqualTo(200);
      assertThat(texts(active.json().path("keys"))).containsExactly(alive.hash());
    }
    assertShapeA(p.get("/key/list?status=bogus", p.master), 400, null);
  }

  @ConformanceCase
  @DisplayName(
      "must-have 14: a non-admin key without user_id -> 403; with one it sees only its own")
  void listVisibility(Target target) {
    Proxy p = open(target);
    Key anon = p.newKey("mh14-anon");
    Resp r = p.get("/key/list", anon.raw());
    JsonNode err = assertShapeA(r, 403, "bad_request_error");
    assertThat(err.path("param").asText()).isEqualTo("user_id");
    assertThat(r.message())
        .contains(
            "You are not authorized to access this endpoint. No 'user_id' is associated with"
                + " your API key.");
    // A key whose user_id has no user row is refused alike (validate_key_list_check).
    Key rowless = p.newKey("mh14-rowless", "user_id", p.userId("rowless"));
    Resp noRow = p.get("/key/list", rowless.raw());
    assertShapeA(noRow, 403, "bad_request_error");
    assertThat(noRow.message()).contains("No 'user_id' is associated with your API key.");
  }

  @ConformanceCase
  @DisplayName("must-have 14: a key of an existing internal_user lists only its user's keys")
  void listOwnKeys(Target target) {
    String u1 = "kt-conf-user-vis1-" + randomSuffix(8);
    Proxy p =
        target == Target.EMULATOR
            ? openEmulator(target, "", b -> b.user(u1, "internal_user"))
            : open(target);
    if (!p.isEmulator()) {
      Resp user =
          p.post("/user/new", p.master, Map.of("user_id", u1, "user_role", "internal_user"));
      assertThat(user.status()).as(user.body()).isEqualTo(200);
    }
    Key anon = p.newKey("mh14-anon2");
    Key mine = p.newKey("mh14-mine", "user_id", u1);
    Key mineToo = p.newKey("mh14-mine2", "user_id", u1);
    Key theirs = p.newKey("mh14-theirs", "user_id", p.userId("vis2"));
    Resp own = p.get("/key/list?size=100", mine.raw());
    assertThat(own.status()).as(own.body()).isEqualTo(200);
    assertThat(texts(own.json().path("keys")))
        .contains(mine.hash(), mineToo.hash())
        .doesNotContain(theirs.hash(), anon.hash());
  }

  // ------------------------------------------------------------------ must-have 15

  @ConformanceCase
  @DisplayName("must-have 15: /health/liveliness -> 200, the JSON string \"I'm alive!\", no auth")
  void liveliness(Target target) {
    Proxy p = open(target);
    for (String route : List.of("/health/liveliness", "/health/liveness")) {
      Resp r = p.send("GET", route, Map.of(), null);
      assertThat(r.status()).as(route).isEqualTo(200);
      assertThat(r.body().strip()).as(route).isEqualTo("\"I'm alive!\"");
      assertThat(r.json().isTextual()).isTrue();
      assertThat(r.json().asText()).isEqualTo("I'm alive!");
    }
  }

  @ConformanceCase
  @DisplayName("must-have 15: /health/readiness needs no auth: 200 healthy, db connected")
  void readiness(Target target) {
    Proxy p = open(target);
    Resp r = p.send("GET", "/health/readiness", Map.of(), null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().path("status").asText()).isEqualTo("healthy");
    assertThat(r.json().path("db").asText()).isEqualTo("connected");
    // 1.106.12's public probe answers {status, db} only; 1.82.3 adds litellm_version, cache, ...
    assertThat(r.json().has("litellm_version")).isEqualTo(older(p));
    assertThat(r.json().has("cache")).isEqualTo(older(p));
  }

  @ConformanceCase
  @DisplayName("must-have 15: with the DB down readiness is still 200 healthy, db disconnected")
  void readinessDbDown(Target target) {
    Proxy p = openEmulator(target, "needs dbConnected(false)", b -> {});
    p.emulator().dbConnected(false);
    Resp r = p.send("GET", "/health/readiness", Map.of(), null);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().path("status").asText()).isEqualTo("healthy");
    assertThat(r.json().path("db").asText()).isEqualTo("disconnected");
    p.emulator().dbConnected(true);
    assertThat(p.send("GET", "/health/readiness", Map.of(), null).json().path("db").asText())
        .isEqualTo("connected");
  }

  @ConformanceCase
  @DisplayName("must-have 15: /v1/models uses the OpenAI list shape with created 1677610602")
  void modelsShape(Target target) {
    Proxy p = open(target);
    Resp r = p.get("/v1/models", p.master);
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.json().path("object").asText()).isEqualTo("list");
    assertThat(r.json().path("data").isArray()).isTrue();
    assertThat(r.json().path("data").size()).isPositive();
    for (JsonNode m : r.json().path("data")) {
      assertThat(m.path("id").isTextual()).as("%s", m).isTrue();
      assertThat(m.path("object").asText()).isEqualTo("model");
      assertThat(m.path("created").asLong()).isEqualTo(MODEL_CREATED);
      assertThat(m.path("owned_by").isTextual()).isTrue();
    }
    if (p.isEmulator() || p.target.isRealCode()) {
      assertThat(p.proxyModels()).containsExactlyElementsOf(EMULATOR_MODELS);
    }
  }

  @ConformanceCase
  @DisplayName("must-have 15: /v1/models is filtered by the key's models; empty means all")
  void modelsFiltered(Target target) {
    Proxy p = open(target);
    List<String> all = p.proxyModels();
    Assumptions.assumeTrue(
        all.size() >= 2, "SKIPPED: the proxy serves fewer than two models, so nothing to filter");
    Key one = p.newKey("mh15-one", "models", List.of(all.get(0)));
    Key any = p.newKey("mh15-all");
    Resp scoped = p.get("/v1/models", one.raw());
    assertThat(scoped.status()).isEqualTo(200);
    List<String> ids = new ArrayList<>();
    scoped.json().path("data").forEach(m -> ids.add(m.path("id").asText()));
    assertThat(ids).containsExactly(all.get(0));
    List<String> anyIds = new ArrayList<>();
    p.get("/v1/models", any.raw())
        .json()
        .path("data")
        .forEach(m -> anyIds.add(m.path("id").asText()));
    assertThat(anyIds).containsExactlyInAnyOrderElementsOf(all);
  }
}
