package io.keyturn.activities;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.activities.litellm.LiteLlmActivitiesImpl;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintRequest;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Each class of LiteLLM answer becomes the right named failure, retryable or not, with a message
 * that tells the operator what to fix: proved through the emulator's real answers and faults.
 */
class ProxyErrorClassificationTest {
  static final String MASTER = "sk-test-master-classification-01";

  LiteLlmEmulator proxy;
  JsonHttp http;
  AtomicReference<String> managementKey;
  LiteLlmActivitiesImpl activities;
  WorkerKeyring secret;

  @BeforeEach
  void start() {
    proxy =
        LiteLlmEmulator.builder().masterKey(MASTER).user("dev", "internal_user").build().start();
    http = new JsonHttp(Duration.ofSeconds(1));
    managementKey = new AtomicReference<>(MASTER);
    secret = WorkerKeyring.generate();
    activities = new LiteLlmActivitiesImpl(new LiteLlmClient(http, managementKey::get), secret);
  }

  @AfterEach
  void stop() {
    http.close();
    proxy.close();
  }

  private MintRequest mint(KeyRef old, Map<String, Object> policy) {
    String alias = "keyturn-svc-g1";
    return new MintRequest(
        proxy.baseUrl(),
        alias,
        new KeyPolicy(policy),
        new KeyDerivation("rotation/svc/1", alias, "run-1"),
        "svc",
        1,
        old);
  }

  private static void assertFailure(
      Runnable call, String type, boolean retryable, String... mentions) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).as(f.getOriginalMessage()).isEqualTo(type);
              assertThat(f.isNonRetryable()).isEqualTo(!retryable);
              assertThat(f.getOriginalMessage()).contains(mentions);
            });
  }

  @Test
  void aPolicyFieldTheProxyRejectsNamesTheField() {
    KeyRef old = KeyMaterial.ref(proxy.createKey(Map.of("key_alias", "svc")));
    assertFailure(
        () -> activities.mintKey(mint(old, Map.of("models", "gpt-4o-mini"))),
        RotationFailures.GATEWAY_BAD_REQUEST,
        false,
        "422",
        "models");
    assertFailure(
        () -> activities.mintKey(mint(old, Map.of("max_budget", -5.0))),
        RotationFailures.GATEWAY_BAD_REQUEST,
        false,
        "400",
        "max_budget must be a non-negative");
    assertThat(proxy.liveKeys()).hasSize(1);
  }

  @Test
  void anEnterpriseOnlyFieldIsUnsupportedWithTheFix() {
    KeyRef old = KeyMaterial.ref(proxy.createKey(Map.of("key_alias", "svc")));
    assertFailure(
        () -> activities.mintKey(mint(old, Map.of("tags", List.of("billing")))),
        RotationFailures.GATEWAY_UNSUPPORTED,
        false,
        "tags",
        "remove that field");
  }

  @Test
  void aManagementKeyThatIsNotAProxyAdminsCannotDeleteOtherKeys() {
    KeyRef someoneElses = KeyMaterial.ref(proxy.createKey(Map.of("key_alias", "svc")));
    managementKey.set(proxy.createKey(Map.of("key_alias", "dev-key", "user_id", "dev")));
    assertFailure(
        () -> activities.deleteKey(proxy.baseUrl(), someoneElses),
        RotationFailures.GATEWAY_FORBIDDEN,
        false,
        "not authorized to delete",
        "proxy_admin",
        "/user/new");
    assertThat(proxy.liveKeys()).extracting(k -> k.tokenHash()).contains(someoneElses.tokenHash());
  }

  @Test
  void anExpiredManagementKeyIsUnauthorized() {
    managementKey.set(proxy.createKey(Map.of("key_alias", "mgmt", "duration", "1h")));
    proxy.advanceClock(Duration.ofHours(2));
    KeyRef old = KeyMaterial.ref(proxy.createKey(Map.of("key_alias", "svc")));
    assertFailure(
        () -> activities.importPolicy(proxy.baseUrl(), old),
        RotationFailures.GATEWAY_UNAUTHORIZED,
        false,
        "Expired Key",
        "LITELLM_MASTER_KEY");
  }

  @Test
  void aSlowProxyIsATransientFailure() {
    KeyRef old = KeyMaterial.ref(proxy.createKey(Map.of("key_alias", "svc")));
    proxy.faults().latency("/key/info", Duration.ofSeconds(3));
    assertFailure(
        () -> activities.importPolicy(proxy.baseUrl(), old),
        RotationFailures.TRANSIENT,
        true,
        "no answer");
  }

  @Test
  void burstsOf500And502AreTransientAndPassWhenTheyEnd() {
    KeyRef old = KeyMaterial.ref(proxy.createKey(Map.of("key_alias", "svc")));
    proxy.faults().failNext("/key/info", 500, 1).failNext("/key/info", 502, 1);
    assertFailure(
        () -> activities.importPolicy(proxy.baseUrl(), old),
        RotationFailures.TRANSIENT,
        true,
        "500");
    assertFailure(
        () -> activities.importPolicy(proxy.baseUrl(), old),
        RotationFailures.TRANSIENT,
        true,
        "502");
    assertThat(activities.importPolicy(proxy.baseUrl(), old)).isNotNull();
  }

  @Test
  void theManagementThroughputCapIsThrottlingWithRetryAfter() {
    KeyRef old = KeyMaterial.ref(proxy.createKey(Map.of("key_alias", "svc")));
    proxy.faults().managementRateCap(1);
    // Three calls touch at most two one-second windows, so at least one call is over the cap.
    List<ApplicationFailure> throttled = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      try {
        activities.importPolicy(proxy.baseUrl(), old);
      } catch (ApplicationFailure f) {
        throttled.add(f);
      }
    }
    assertThat(throttled).isNotEmpty();
    assertThat(throttled)
        .allSatisfy(
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.TRANSIENT);
              assertThat(f.getNextRetryDelay()).isEqualTo(Duration.ofSeconds(1));
            });
  }
}
