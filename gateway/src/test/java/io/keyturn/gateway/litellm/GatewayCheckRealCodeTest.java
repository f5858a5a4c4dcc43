package io.keyturn.gateway.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.gateway.litellm.GatewayCheck.Report;
import io.keyturn.gateway.litellm.GatewayCheck.Status;
import io.keyturn.gateway.litellm.GatewayCheck.Step;
import io.keyturn.testkit.launch.LiteLlmProxyServer;
import io.keyturn.workflows.RotationFailures;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code keyturn gateway check} against LiteLLM's own proxy code (the PyPI release on the prisma
 * stand-in), for each tested release: the master key, a scoped key of a {@code proxy_admin} user, a
 * key missing a route, a key of an {@code internal_user} and a wrong key. Users and keys are made
 * through the real API ({@code /user/new}, {@code /key/generate}), so every answer the check
 * diagnoses is the real code's. One proxy per release, started for its nested class and stopped
 * after it, so only one runs at a time.
 */
class GatewayCheckRealCodeTest {

  static final String ADMIN_USER = "keyturn-rotator";
  static final String APP_USER = "app-user";

  @Nested
  class LiteLlm1106 extends RealCodeCases {
    LiteLlm1106() {
      super(LiteLlmProxyServer.PINNED_VERSION);
    }
  }

  /** The release docker-compose.yml pins (its image's Python package). */
  @Nested
  class LiteLlm182 extends RealCodeCases {
    LiteLlm182() {
      super("1.82.3");
    }
  }

  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  abstract static class RealCodeCases {
    final String version;
    final AtomicInteger aliases = new AtomicInteger();
    LiteLlmProxyServer proxy;
    JsonHttp http;
    LiteLlmClient admin;
    AtomicReference<String> managementKey;
    GatewayCheck check;

    RealCodeCases(String version) {
      this.version = version;
    }

    @BeforeAll
    void start() throws Exception {
      proxy = LiteLlmProxyServer.builder().version(version).build().start();
      http = new JsonHttp(Duration.ofSeconds(30));
      admin = new LiteLlmClient(http, proxy::masterKey);
      managementKey = new AtomicReference<>();
      check = new GatewayCheck(new LiteLlmClient(http, managementKey::get));
      newUser(ADMIN_USER, "proxy_admin");
      newUser(APP_USER, "internal_user");
    }

    @AfterAll
    void stop() {
      if (http != null) {
        http.close();
      }
      if (proxy != null) {
        proxy.close();
      }
    }

    /** {@code POST /user/new} with the master key: the real way to give a user a role. */
    void newUser(String userId, String role) {
      Reply r =
          http.send(
              "POST",
              proxy.baseUrl() + "/user/new",
              Map.of("Authorization", "Bearer " + proxy.masterKey()),
              HttpBodies.write(Map.of("user_id", userId, "user_role", role)));
      assertThat(r.status()).as("/user/new %s: %s", userId, r.body()).isEqualTo(200);
    }

    /** A virtual key of {@code userId} minted with the master key; its value. */
    String keyOf(String userId, List<String> allowedRoutes) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("key_alias", "mgmt-" + userId + "-" + aliases.incrementAndGet());
      body.put("user_id", userId);
      if (allowedRoutes != null) {
        body.put("allowed_routes", allowedRoutes);
      }
      Answer<GenerateKeyResponse> r =
          admin.generate(proxy.baseUrl(), GenerateKeyRequest.withPolicy(body));
      assertThat(r.status()).as("/key/generate: %s", r.reply().body()).isEqualTo(200);
      return r.body().key();
    }

    /** The probe keys the check minted and left at the proxy (read with the master key). */
    List<JsonNode> probesLeft() {
      Reply r =
          http.send(
              "GET",
              proxy.baseUrl()
                  + "/key/list?user_id=keyturn-gateway-check&return_full_object=true&size=100",
              Map.of("Authorization", "Bearer " + proxy.masterKey()),
              null);
      assertThat(r.status()).as("/key/list: %s", r.body()).isEqualTo(200);
      List<JsonNode> keys = new ArrayList<>();
      HttpBodies.tree(r.body()).path("keys").forEach(keys::add);
      return keys;
    }

    static GenerateKeyRequest withAlias(String alias) {
      return new GenerateKeyRequest(Map.of(), null, alias, null);
    }

    Report runWith(String key) {
      managementKey.set(key);
      return check.run(proxy.baseUrl());
    }

    static Step step(Report r, String name) {
      return r.steps().stream()
          .filter(s -> s.name().equals(name))
          .findFirst()
          .orElseThrow(() -> new AssertionError("no step " + name + " in " + r.steps()));
    }

    @Test
    void theMasterKeyPassesWithALeastPrivilegeWarning() {
      int before = probesLeft().size();
      Report r = runWith(proxy.masterKey());
      assertThat(r.ok()).as(r.toString()).isTrue();
      assertThat(r.identity()).isEqualTo("the master key");
      assertThat(r.proxyAdmin()).isTrue();
      assertThat(r.missingRoutes()).isEmpty();
      assertThat(step(r, "readiness").status()).isEqualTo(Status.OK);
      // 1.82 names its version on the public probe, 1.106 does not; neither is guessed.
      assertThat(step(r, "readiness").detail())
          .satisfiesAnyOf(
              d -> assertThat(d).contains("(LiteLLM " + version + ")"),
              d -> assertThat(d).isEqualTo("healthy, db connected"));
      assertThat(step(r, "mint for another user").status()).isEqualTo(Status.OK);
      assertThat(step(r, "read another user's key").status()).isEqualTo(Status.OK);
      assertThat(step(r, "delete").status()).isEqualTo(Status.OK);
      assertThat(step(r, "least privilege").status()).isEqualTo(Status.WARN);
      assertThat(probesLeft()).as("the probe was deleted").hasSize(before);
      assertThat(r.toMap().toString()).doesNotContain(proxy.masterKey());
    }

    @Test
    void aScopedKeyOfAProxyAdminWithTheFourRoutesPasses() {
      int before = probesLeft().size();
      String key = keyOf(ADMIN_USER, GatewayCheck.REQUIRED_ROUTES);
      Report r = runWith(key);
      assertThat(r.ok()).as(r.toString()).isTrue();
      assertThat(r.identity()).contains("of user " + ADMIN_USER);
      assertThat(r.proxyAdmin()).isTrue();
      assertThat(r.missingRoutes()).isEmpty();
      assertThat(r.diagnosis()).isNull();
      assertThat(step(r, "management key").detail())
          .contains("allowed_routes " + GatewayCheck.REQUIRED_ROUTES);
      assertThat(step(r, "mint for another user").status()).isEqualTo(Status.OK);
      assertThat(step(r, "read another user's key").status()).isEqualTo(Status.OK);
      assertThat(step(r, "delete").status()).isEqualTo(Status.OK);
      assertThat(probesLeft()).as("the probe was deleted").hasSize(before);
      assertThat(r.toMap().toString()).doesNotContain(key);
    }

    /** The real 403 names the route in {@code detail}; the check names it back. */
    @ParameterizedTest(name = "without {0}")
    @ValueSource(strings = {"/key/generate", "/key/delete", "/key/info"})
    void aKeyMissingARouteIsToldExactlyThatRoute(String lacking) {
      int before = probesLeft().size();
      List<String> routes = new ArrayList<>(GatewayCheck.REQUIRED_ROUTES);
      routes.remove(lacking);
      Report r = runWith(keyOf(ADMIN_USER, routes));
      assertThat(r.ok()).as(r.toString()).isFalse();
      assertThat(r.missingRoutes()).as(r.toString()).containsExactly(lacking);
      assertThat(r.diagnosis()).contains("allowed_routes lack [" + lacking + "]");
      assertThat(r.fix()).contains("\"" + lacking + "\"").contains("proxy_admin");
      Step failed =
          step(
              r,
              switch (lacking) {
                case "/key/generate" -> "mint for another user";
                case "/key/delete" -> "delete";
                default -> "management key";
              });
      assertThat(failed.status()).isEqualTo(Status.FAIL);
      assertThat(failed.detail()).contains("not allowed to call this route").contains(lacking);
      if (lacking.equals("/key/delete")) {
        // The probe it could not delete is harmless: blocked, and it expires.
        assertThat(probesLeft())
            .hasSize(before + 1)
            .anySatisfy(
                k -> {
                  assertThat(k.path("key_alias").asText()).startsWith("keyturn-gateway-check-");
                  assertThat(k.path("blocked").asBoolean()).isTrue();
                  assertThat(k.path("expires").isTextual()).isTrue();
                });
      } else {
        assertThat(probesLeft()).as("no probe left behind").hasSize(before);
      }
    }

    @Test
    void aKeyOfAnInternalUserIsToldToReMintUnderAProxyAdmin() {
      int before = probesLeft().size();
      Report r = runWith(keyOf(APP_USER, GatewayCheck.REQUIRED_ROUTES));
      assertThat(r.ok()).as(r.toString()).isFalse();
      assertThat(r.proxyAdmin()).isFalse();
      assertThat(r.identity()).contains("of user " + APP_USER);
      assertThat(r.missingRoutes()).as(r.toString()).isEmpty();
      assertThat(r.diagnosis()).contains("not a proxy_admin");
      assertThat(r.fix()).contains("\"user_role\": \"proxy_admin\"").contains("/user/new");
      assertThat(step(r, "mint for another user").status()).isEqualTo(Status.FAIL);
      assertThat(step(r, "mint for another user").detail()).contains("create keys for themselves");
      // It could mint no probe, so deleting a key that does not exist proves only the route.
      assertThat(step(r, "delete").status()).isEqualTo(Status.WARN);
      assertThat(step(r, "delete").detail()).contains("may delete only its own user's keys");
      assertThat(probesLeft()).as("no probe left behind").hasSize(before);
    }

    /**
     * What a rotation meets with such a key: an internal_user's real refusals to mint for, read and
     * delete another user's key, and a user-less key's (401 or 403, by whether it has
     * allowed_routes), each a non-retryable GatewayForbidden that says to re-mint under a
     * proxy_admin (not "the key is unknown"). Nothing is changed.
     */
    @Test
    void theRealRefusalsOfAKeyThatIsNotAProxyAdminsNameTheFix() {
      String gw = proxy.baseUrl();
      String otherHash =
          admin.generate(gw, withAlias("other-" + aliases.incrementAndGet())).body().tokenId();
      String internal = keyOf(APP_USER, GatewayCheck.REQUIRED_ROUTES);
      LiteLlmClient asInternal = new LiteLlmClient(http, () -> internal);
      GenerateKeyRequest forAdmin =
          GenerateKeyRequest.withPolicy(Map.of("user_id", ADMIN_USER, "models", List.of()));
      Map<String, Reply> answers = new LinkedHashMap<>();
      answers.put("delete", asInternal.delete(gw, List.of(otherHash)).reply());
      answers.put("info", asInternal.keyInfo(gw, otherHash).reply());
      answers.put("generate", asInternal.generate(gw, forAdmin).reply());
      // A key with no user: without allowed_routes LiteLLM's auth layer refuses it every
      // management route (401); with them, the route handlers refuse it (403).
      Map<String, Object> scoped = new LinkedHashMap<>();
      scoped.put("key_alias", "no-user-" + aliases.incrementAndGet());
      scoped.put("allowed_routes", GatewayCheck.REQUIRED_ROUTES);
      String userless = admin.generate(gw, GenerateKeyRequest.withPolicy(scoped)).body().key();
      String unscoped =
          admin.generate(gw, withAlias("no-user-" + aliases.incrementAndGet())).body().key();
      LiteLlmClient asUserless = new LiteLlmClient(http, () -> userless);
      LiteLlmClient asUnscoped = new LiteLlmClient(http, () -> unscoped);
      answers.put("userless generate", asUserless.generate(gw, forAdmin).reply());
      answers.put("userless delete", asUserless.delete(gw, List.of(otherHash)).reply());
      answers.put("unscoped userless generate", asUnscoped.generate(gw, forAdmin).reply());
      answers.put("unscoped userless delete", asUnscoped.delete(gw, List.of(otherHash)).reply());

      answers.forEach(
          (what, reply) ->
              assertThat(reply.status()).as(what + ": " + reply.body()).isIn(401, 403));

      assertThat(answers.get("delete").status()).isEqualTo(403);
      assertThat(ProxyError.of(answers.get("delete")).message())
          .contains("not authorized to delete this key");
      assertThat(answers.get("info").status()).isEqualTo(403);
      assertThat(answers.get("generate").status()).isEqualTo(403);
      assertThat(answers.get("userless generate").status()).isEqualTo(403);
      assertThat(answers.get("userless delete").status()).isEqualTo(403);
      assertThat(answers.get("unscoped userless generate").status()).isEqualTo(401);
      assertThat(answers.get("unscoped userless delete").status()).isEqualTo(401);
      assertThat(ProxyError.of(answers.get("unscoped userless delete")).message())
          .contains("Only proxy admin");
      answers.forEach(
          (what, reply) -> {
            ApplicationFailure f = ProxyError.of(reply).toFailure(gw, what);
            assertThat(f.getType())
                .as(what + ": " + f.getOriginalMessage())
                .isEqualTo(RotationFailures.GATEWAY_FORBIDDEN);
            assertThat(f.isNonRetryable()).isTrue();
            assertThat(f.getOriginalMessage())
                .as(what)
                .contains("user_role \"proxy_admin\"")
                .doesNotContain(internal)
                .doesNotContain(userless)
                .doesNotContain(unscoped);
          });
      assertThat(admin.keyInfo(gw, otherHash).status())
          .as("the other key is untouched")
          .isEqualTo(200);
    }

    @Test
    void aKeyWithNoUserCannotManageKeys() {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("key_alias", "no-user-" + aliases.incrementAndGet());
      body.put("allowed_routes", GatewayCheck.REQUIRED_ROUTES);
      Answer<GenerateKeyResponse> g =
          admin.generate(proxy.baseUrl(), GenerateKeyRequest.withPolicy(body));
      assertThat(g.status()).as(g.reply().body()).isEqualTo(200);
      Report r = runWith(g.body().key());
      assertThat(r.ok()).as(r.toString()).isFalse();
      assertThat(r.identity()).contains("with no user");
      assertThat(r.proxyAdmin()).isFalse();
      assertThat(r.diagnosis()).as(r.toString()).contains("not a proxy_admin");
    }

    @Test
    void aWrongKeyIsRefused() {
      String wrong = "sk-not-a-key-at-this-proxy-" + version.replace('.', '-');
      Report r = runWith(wrong);
      assertThat(r.ok()).isFalse();
      assertThat(r.proxyAdmin()).isFalse();
      assertThat(step(r, "management key").status()).isEqualTo(Status.FAIL);
      assertThat(step(r, "management key").detail()).startsWith("refused (401)");
      assertThat(r.diagnosis()).contains("refused the management key");
      assertThat(r.fix()).contains("LITELLM_MASTER_KEY");
      assertThat(r.steps()).extracting(Step::name).doesNotContain("mint for another user");
      assertThat(r.toMap().toString()).doesNotContain(wrong);
    }
  }
}
