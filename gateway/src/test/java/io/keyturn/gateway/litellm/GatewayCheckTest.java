package io.keyturn.gateway.litellm;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.GatewayCheck.Report;
import io.keyturn.gateway.litellm.GatewayCheck.Status;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code keyturn gateway check}'s diagnosis for each kind of management key. */
class GatewayCheckTest {
  static final String MASTER = "sk-test-master-0123456789abcdef";

  LiteLlmEmulator proxy;
  JsonHttp http;
  AtomicReference<String> managementKey;
  GatewayCheck check;

  @BeforeEach
  void start() {
    proxy =
        LiteLlmEmulator.builder()
            .masterKey(MASTER)
            .user("keyturn-rotator", "proxy_admin")
            .user("app-user", "internal_user")
            .build()
            .start();
    http = new JsonHttp(Duration.ofSeconds(5));
    managementKey = new AtomicReference<>(MASTER);
    check = new GatewayCheck(new LiteLlmClient(http, managementKey::get));
  }

  @AfterEach
  void stop() {
    http.close();
    proxy.close();
  }

  private String scopedKey(String user, List<String> routes) {
    return proxy.createKey(
        Map.of(
            "key_alias",
            "mgmt-" + user + routes.size(),
            "user_id",
            user,
            "allowed_routes",
            routes));
  }

  private static Status status(Report r, String step) {
    return r.steps().stream()
        .filter(s -> s.name().equals(step))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no step " + step + " in " + r.steps()))
        .status();
  }

  @Test
  void theMasterKeyPassesWithALeastPrivilegeWarning() {
    Report r = check.run(proxy.baseUrl());
    assertThat(r.ok()).as(r.toString()).isTrue();
    assertThat(r.identity()).isEqualTo("the master key");
    assertThat(r.proxyAdmin()).isTrue();
    assertThat(r.missingRoutes()).isEmpty();
    assertThat(status(r, "least privilege")).isEqualTo(Status.WARN);
    assertThat(proxy.liveKeys()).as("the probe key was deleted").isEmpty();
  }

  @Test
  void aCorrectlyScopedKeyOfAProxyAdminPasses() {
    managementKey.set(scopedKey("keyturn-rotator", GatewayCheck.REQUIRED_ROUTES));
    Report r = check.run(proxy.baseUrl());
    assertThat(r.ok()).as(r.toString()).isTrue();
    assertThat(r.identity()).contains("of user keyturn-rotator");
    assertThat(r.proxyAdmin()).isTrue();
    assertThat(r.diagnosis()).isNull();
    assertThat(status(r, "mint for another user")).isEqualTo(Status.OK);
    assertThat(status(r, "delete")).isEqualTo(Status.OK);
    assertThat(proxy.liveKeys()).hasSize(1); // the management key itself, no probe
    // Only the rotation's routes: the optional commands are warned about by name, not failed.
    assertThat(status(r, "routes for keyturn leaked (blocks the leaked key first)"))
        .isEqualTo(Status.WARN);
    assertThat(status(r, "routes for provider-key rotations (dual deployments)"))
        .isEqualTo(Status.WARN);
  }

  @Test
  void aKeyScopedForEveryCommandHasNoRouteWarnings() {
    List<String> all = new java.util.ArrayList<>(GatewayCheck.REQUIRED_ROUTES);
    GatewayCheck.ROUTES_FOR.values().forEach(all::addAll);
    managementKey.set(scopedKey("keyturn-rotator", all));
    Report r = check.run(proxy.baseUrl());
    assertThat(r.ok()).as(r.toString()).isTrue();
    assertThat(r.steps()).noneMatch(s -> s.name().startsWith("routes for "));
  }

  @Test
  void aKeyMissingKeyDeleteIsToldExactlyThatRoute() {
    managementKey.set(
        scopedKey("keyturn-rotator", List.of("/key/generate", "/key/info", "/health/readiness")));
    Report r = check.run(proxy.baseUrl());
    assertThat(r.ok()).isFalse();
    assertThat(r.missingRoutes()).containsExactly("/key/delete");
    assertThat(r.diagnosis()).contains("allowed_routes lack [/key/delete]");
    assertThat(r.fix()).contains("\"/key/delete\"").contains("proxy_admin");
    assertThat(status(r, "delete")).isEqualTo(Status.FAIL);
    // The probe it could not delete is harmless: blocked, and it expires.
    assertThat(proxy.liveKeys())
        .filteredOn(k -> k.keyAlias().startsWith("keyturn-gateway-check-"))
        .singleElement()
        .satisfies(
            k -> {
              assertThat(k.blocked()).isTrue();
              assertThat(k.expires()).isNotNull();
            });
  }

  @Test
  void aKeyThatIsNotAProxyAdminsIsToldToReMintUnderOne() {
    managementKey.set(scopedKey("app-user", GatewayCheck.REQUIRED_ROUTES));
    Report r = check.run(proxy.baseUrl());
    assertThat(r.ok()).isFalse();
    assertThat(r.proxyAdmin()).isFalse();
    assertThat(r.missingRoutes()).isEmpty();
    assertThat(r.diagnosis()).contains("not a proxy_admin");
    assertThat(r.fix()).contains("\"user_role\": \"proxy_admin\"").contains("/user/new");
    assertThat(status(r, "mint for another user")).isEqualTo(Status.FAIL);
  }

  @Test
  void aKeyWithNoUserCannotManageKeys() {
    managementKey.set(proxy.createKey(Map.of("key_alias", "no-user")));
    Report r = check.run(proxy.baseUrl());
    assertThat(r.ok()).isFalse();
    assertThat(r.identity()).contains("with no user");
    assertThat(r.diagnosis()).contains("not a proxy_admin");
  }

  @Test
  void anUnknownManagementKeyIsRefused() {
    managementKey.set("sk-not-a-key-at-this-proxy-000");
    Report r = check.run(proxy.baseUrl());
    assertThat(r.ok()).isFalse();
    assertThat(status(r, "management key")).isEqualTo(Status.FAIL);
    assertThat(r.fix()).contains("LITELLM_MASTER_KEY");
    assertThat(r.toMap().toString()).doesNotContain("sk-not-a-key-at-this-proxy-000");
  }

  @Test
  void aProxyWhoseDatabaseIsDownFailsAtReadinessAndNothingIsMinted() {
    proxy.dbConnected(false);
    Report r = check.run(proxy.baseUrl());
    assertThat(r.ok()).isFalse();
    assertThat(status(r, "readiness")).isEqualTo(Status.FAIL);
    assertThat(r.diagnosis()).contains("database");
    assertThat(r.steps()).hasSize(1);
    assertThat(proxy.liveKeys()).isEmpty();
  }

  /**
   * LiteLLM 1.106's public readiness with its database down: 503 and the same body as 1.82's 200
   * (no version). The check diagnoses the database, not the URL.
   */
  @Test
  void aReadinessOf503WithTheDatabaseDownIsDiagnosedAsTheDatabase() throws Exception {
    HttpServer canned = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    canned.createContext(
        "/health/readiness",
        exchange -> {
          byte[] body = "{\"status\":\"healthy\",\"db\":\"disconnected\"}".getBytes(UTF_8);
          exchange.getResponseHeaders().add("Content-Type", "application/json");
          exchange.sendResponseHeaders(503, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    canned.start();
    try {
      Report r = check.run("http://127.0.0.1:" + canned.getAddress().getPort());
      assertThat(r.ok()).isFalse();
      assertThat(r.steps()).hasSize(1);
      assertThat(r.steps().get(0).detail()).isEqualTo("HTTP 503, db is \"disconnected\"");
      assertThat(r.diagnosis()).contains("no working database");
      assertThat(r.fix()).contains("DATABASE_URL");
    } finally {
      canned.stop(0);
    }
  }

  @Test
  void anUnreachableGatewaySaysSo() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Report r = check.run("http://127.0.0.1:" + port);
    assertThat(r.ok()).isFalse();
    assertThat(r.diagnosis()).contains("cannot be reached");
  }

  @Test
  void theReadOnlyCheckMintsNothingAndReadsMissingRoutesFromTheKeysRow() {
    managementKey.set(
        scopedKey("keyturn-rotator", List.of("/key/generate", "info_routes", "/health/readiness")));
    int before = proxy.liveKeys().size();
    Report r = check.runReadOnly(proxy.baseUrl());
    assertThat(proxy.liveKeys()).hasSize(before);
    assertThat(proxy.calls()).noneMatch(c -> c.route().equals("/key/generate"));
    assertThat(r.ok()).isFalse();
    assertThat(r.missingRoutes()).containsExactly("/key/delete");

    managementKey.set(scopedKey("keyturn-rotator", List.of("management_routes")));
    Report fine = check.runReadOnly(proxy.baseUrl());
    assertThat(fine.ok()).as(fine.toString()).isTrue();
    assertThat(status(fine, "role")).isEqualTo(Status.WARN);

    managementKey.set(proxy.createKey(Map.of("key_alias", "userless")));
    assertThat(check.runReadOnly(proxy.baseUrl()).diagnosis()).contains("not a proxy_admin");
  }
}
