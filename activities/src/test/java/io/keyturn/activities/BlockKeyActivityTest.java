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
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@code blockKey}, an emergency rotation's first step, against the management-API emulator. */
class BlockKeyActivityTest {
  static final String MASTER = "sk-test-master-0123456789abcdef";

  LiteLlmEmulator proxy;
  JsonHttp http;
  LiteLlmActivitiesImpl activities;
  String gw;

  @BeforeEach
  void start() {
    proxy =
        LiteLlmEmulator.builder().masterKey(MASTER).models(List.of("gpt-4o-mini")).build().start();
    gw = proxy.baseUrl();
    http = new JsonHttp(Duration.ofSeconds(5));
    activities =
        new LiteLlmActivitiesImpl(new LiteLlmClient(http, () -> MASTER), WorkerKeyring.generate());
  }

  @AfterEach
  void stop() {
    http.close();
    proxy.close();
  }

  private boolean blockedAtTheProxy(KeyRef k) {
    return proxy.liveKeys().stream()
        .filter(e -> e.tokenHash().equals(k.tokenHash()))
        .anyMatch(EmulatedKey::blocked);
  }

  @Test
  void blocksALiveKeyOnceAndCountsABlockedKeyAsBlocked() {
    KeyRef leaked =
        KeyMaterial.ref(
            proxy.createKey(Map.of("key_alias", "svc-a", "models", List.of("gpt-4o-mini"))));

    assertThat(activities.blockKey(gw, leaked)).as("blocked by this call").isTrue();
    assertThat(blockedAtTheProxy(leaked)).isTrue();
    assertThat(activities.blockKey(gw, leaked)).as("already blocked").isFalse();
    assertThat(blockedAtTheProxy(leaked)).isTrue();

    // Its policy still imports (a retried emergency rotation reads it after the block).
    KeyPolicy p = activities.importPolicy(gw, leaked);
    assertThat(p.models()).containsExactly("gpt-4o-mini");
  }

  @Test
  void anUnknownKeyIsNamedAsSuchAndNothingIsBlocked() {
    KeyRef unknown = KeyMaterial.ref("sk-never-minted-0123456789abcdef");
    assertThatThrownBy(() -> activities.blockKey(gw, unknown))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.OLD_KEY_NOT_FOUND);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage()).contains(unknown.fingerprint());
            });
    assertThat(proxy.liveKeys()).noneMatch(EmulatedKey::blocked);
  }
}
