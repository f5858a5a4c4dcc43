package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.client.WorkflowStub;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * The gates a rotation passes before it revokes its old key, on the real dev server and worker
 * process: the drain gate holds the revoke while the old key still carries traffic (the emulator
 * records use as LiteLLM does: a request sets the key's {@code last_active}) and releases it when
 * the traffic stops.
 */
class RevokeGateEndToEndTest extends OnE2eStack {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  /** A chat completion made with {@code key}; its status. */
  static int complete(String key) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create(litellm.baseUrl() + "/chat/completions"))
            .header("Authorization", "Bearer " + key)
            .header("content-type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
            .build();
    return HTTP.send(req, HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  static Path config(String id, String drain) throws Exception {
    return file(
        id + ".yaml",
        """
        apiVersion: keyturn/v1
        secrets:
          - id: %s
            gateway: {url: %s}
            currentKey: {file: %s.key}
            destinations:
              - {type: vault-kv2, name: %s}
            schedule: {every: 1h}
            grace: 2s
            drain: %s
        """
            .formatted(id, litellm.baseUrl(), id, id, drain));
  }

  static KeyRotationWorkflow rotation(String id) {
    return client.newWorkflowStub(KeyRotationWorkflow.class, "rotation/" + id);
  }

  /** The rotation's status once {@code until} holds, polled for up to {@code within}. */
  static RotationStatus awaitStatus(String id, Predicate<RotationStatus> until, Duration within)
      throws Exception {
    Instant deadline = Instant.now().plus(within);
    RotationStatus last = null;
    while (Instant.now().isBefore(deadline)) {
      try {
        last = rotation(id).status();
        if (until.test(last)) {
          return last;
        }
      } catch (RuntimeException notStartedYet) {
        // the launcher has not started the rotation yet
      }
      Thread.sleep(300);
    }
    throw new AssertionError("rotation/" + id + " did not get there in " + within + ": " + last);
  }

  @Test
  void aDrainHoldKeepsTheOldKeyWhileItCarriesTrafficAndReleasesWhenTrafficStops() throws Exception {
    String old = litellm.createKey(Map.of("key_alias", "app-d", "models", List.of("gpt-4o-mini")));
    file("app-d.key", old);
    Path yaml = config("app-d", "{usedWithin: 6s, recheckEvery: 2s, maxHold: 10m, onLimit: wait}");
    Cli.Result apply = keyturn("apply", "-f", yaml.toString());
    assertThat(apply.exit()).as(apply.out() + apply.err()).isZero();

    // A client that never picked up the new key: one request a second with the old one.
    AtomicBoolean traffic = new AtomicBoolean(true);
    AtomicInteger refused = new AtomicInteger();
    Thread client =
        new Thread(
            () -> {
              while (traffic.get()) {
                try {
                  if (complete(old) != 200) {
                    refused.incrementAndGet();
                  }
                  Thread.sleep(1000);
                } catch (InterruptedException e) {
                  return;
                } catch (Exception e) {
                  refused.incrementAndGet();
                }
              }
            },
            "old-key-client");
    client.setDaemon(true);
    client.start();
    try {
      Cli.Result now = keyturn("rotate-now", "app-d");
      assertThat(now.exit()).as(now.out() + now.err()).isZero();

      RotationStatus held =
          awaitStatus("app-d", s -> s.phase() == RotationPhase.REVOKE_HELD, Duration.ofSeconds(90));
      assertThat(held.message())
          .contains("REVOKE HELD")
          .contains(KeyMaterial.ref(old).fingerprint())
          .doesNotContain(old);
      Cli.Result status = keyturn("status", "rotation/app-d");
      assertThat(status.exit()).as(status.out() + status.err()).isZero();
      assertThat(status.out()).contains("REVOKE_HELD").contains("REVOKE HELD").doesNotContain(old);

      // Still held a few rechecks later: the old key keeps working for its client.
      Thread.sleep(6000);
      assertThat(rotation("app-d").status().phase()).isEqualTo(RotationPhase.REVOKE_HELD);
      assertThat(litellm.liveKeys())
          .anyMatch(k -> k.tokenHash().equals(KeyMaterial.tokenHash(old)));
      assertThat(refused.get()).as("requests refused while held").isZero();
    } finally {
      traffic.set(false);
      client.join(5000);
    }
    Instant stopped = Instant.now();

    RotationResult result =
        WorkflowStub.fromTyped(rotation("app-d")).getResult(RotationResult.class);
    Instant revoked = Instant.now();
    assertThat(Duration.between(stopped, revoked))
        .as("released only once the key was unused for usedWithin (6s)")
        .isGreaterThanOrEqualTo(Duration.ofSeconds(4));
    assertThat(result.revoked().key().tokenHash()).isEqualTo(KeyMaterial.tokenHash(old));
    RotationStatus done = rotation("app-d").status();
    assertThat(done.phase()).isEqualTo(RotationPhase.COMPLETED);
    assertThat(done.message()).contains("held revoke was released");
    assertThat(complete(old)).as("the old key after revoke").isEqualTo(401);
    assertThat(keyturn("pause", "app-d", "--reason", "test done").exit()).isZero();
  }
}
