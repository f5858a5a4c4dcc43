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
import io.keyturn.workflows.model.KeyRef;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code confirmUsable}, the check a rollback makes before it puts the old key back: against the
 * management-API emulator, the key must be live, unblocked and accepted as a bearer, and the sealed
 * value must be that key. Each refusal is non-retryable and names the key by fingerprint.
 */
class ConfirmUsableTest {
  static final String MASTER = "sk-test-master-0123456789abcdef";

  LiteLlmEmulator proxy;
  JsonHttp http;
  WorkerKeyring secret;
  LiteLlmActivitiesImpl activities;
  String gw;

  @BeforeEach
  void start() {
    proxy = LiteLlmEmulator.builder().masterKey(MASTER).models(List.of("gpt-4o-mini")).build();
    proxy.start();
    gw = proxy.baseUrl();
    http = new JsonHttp(Duration.ofSeconds(5));
    secret = WorkerKeyring.generate();
    activities = new LiteLlmActivitiesImpl(new LiteLlmClient(http, () -> MASTER), secret);
  }

  @AfterEach
  void stop() {
    http.close();
    proxy.close();
  }

  private void assertRefused(Runnable call, String type, KeyRef key, String says) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(type);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage()).contains(key.fingerprint()).contains(says);
            });
  }

  @Test
  void aLiveKeyPassesAndChangesNothing() {
    String raw = proxy.createKey(Map.of("key_alias", "svc-a"));
    activities.confirmUsable(gw, KeyMaterial.ref(raw), secret.seal(raw));
    assertThat(proxy.liveKeys()).hasSize(1);
    assertThat(proxy.liveKeys().get(0).blocked()).isFalse();
  }

  @Test
  void aDeletedKeyIsNotFound() {
    String raw = proxy.createKey(Map.of("key_alias", "svc-a"));
    KeyRef ref = KeyMaterial.ref(raw);
    activities.deleteKey(gw, ref);
    assertRefused(
        () -> activities.confirmUsable(gw, ref, secret.seal(raw)),
        RotationFailures.OLD_KEY_NOT_FOUND,
        ref,
        "no longer has");
  }

  @Test
  void aBlockedKeyIsUnusable() {
    String raw = proxy.createKey(Map.of("key_alias", "svc-a"));
    KeyRef ref = KeyMaterial.ref(raw);
    JsonHttp.Reply r =
        http.send(
            "POST",
            gw + "/key/block",
            Map.of("Authorization", "Bearer " + MASTER),
            "{\"key\":\"" + ref.tokenHash() + "\"}");
    assertThat(r.status()).isEqualTo(200);
    assertRefused(
        () -> activities.confirmUsable(gw, ref, secret.seal(raw)),
        RotationFailures.KEY_UNUSABLE,
        ref,
        "blocked");
  }

  @Test
  void aSealedValueOfAnotherKeyIsRefusedWithoutCallingTheProxy() {
    String raw = proxy.createKey(Map.of("key_alias", "svc-a"));
    String other = proxy.createKey(Map.of("key_alias", "svc-b"));
    KeyRef ref = KeyMaterial.ref(raw);
    proxy.clearCalls();
    assertRefused(
        () -> activities.confirmUsable(gw, ref, secret.seal(other)),
        RotationFailures.SEALING_KEY_MISMATCH,
        ref,
        "is not");
    assertThat(proxy.calls()).isEmpty();
    assertRefused(
        () -> activities.confirmUsable(gw, ref, WorkerKeyring.generate().seal(raw)),
        RotationFailures.SEALING_KEY_MISMATCH,
        ref,
        "cannot open");
  }
}
