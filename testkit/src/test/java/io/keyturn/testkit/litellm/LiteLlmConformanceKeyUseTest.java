package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;

/**
 * Conformance: how the proxy records that a key was used, which Keyturn's drain gate reads before
 * it revokes an old key. LiteLLM's spend writer ({@code DBSpendUpdateWriter} in {@code
 * litellm/proxy/db/db_spend_update_writer.py}) adds each charged request's cost to the key row's
 * {@code spend} and sets its {@code last_active}, in batches every {@code proxy_batch_write_at} (10
 * s plus up to 5 s); {@code /key/info} shows both. The requests are mocked completions ({@code
 * mock_response}, which 1.106 honours only for a key whose metadata says {@code
 * allow_client_mock_response: true}), so no upstream is called.
 */
class LiteLlmConformanceKeyUseTest extends LiteLlmConformanceBase {

  /** Longer than the real proxy's batch interval (10 s plus up to 5 s of jitter, then a write). */
  private static final Duration BATCH_WRITE = Duration.ofSeconds(45);

  private static Resp complete(Proxy p, String key, String model) {
    return p.post(
        "/chat/completions",
        key,
        Map.of(
            "model",
            model,
            "messages",
            List.of(Map.of("role", "user", "content", "hi")),
            "mock_response",
            "still here"));
  }

  @ConformanceCase
  @DisplayName("a charged request made with a key sets its last_active and adds to its spend")
  void aRequestSetsLastActive(Target target) throws InterruptedException {
    Proxy p = open(target);
    Key k =
        p.newKey(
            "use-last-active",
            "models",
            List.of("gpt-4o-mini"),
            "metadata",
            Map.of("allow_client_mock_response", true));
    JsonNode before = p.info(k.raw()).json().path("info");
    assertThat(before.path("last_active").isNull()).as("never used: %s", before).isTrue();
    Instant sent = Instant.now().minusSeconds(1);

    Resp r = complete(p, k.raw(), "gpt-4o-mini");
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    assertThat(r.json().path("object").asText()).isEqualTo("chat.completion");
    assertThat(r.json().path("choices").path(0).path("message").path("content").asText())
        .isEqualTo("still here");
    assertThat(r.json().path("usage").path("total_tokens").asInt()).isEqualTo(30);

    JsonNode info = awaitLastActive(p, k);
    Instant lastActive = instant(info.path("last_active"));
    assertThat(lastActive).isAfterOrEqualTo(sent).isBeforeOrEqualTo(Instant.now());
    // 10 prompt and 20 completion tokens at gpt-4o-mini's price in LiteLLM's cost map.
    assertThat(info.path("spend").asDouble())
        .isCloseTo(1.35e-5, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(instant(info.path("updated_at"))).isAfterOrEqualTo(lastActive);
  }

  @ConformanceCase
  @DisplayName("a request for a model the key may not use is refused: key_model_access_denied")
  void aModelTheKeyMayNotUse(Target target) {
    Proxy p = open(target);
    Key k =
        p.newKey(
            "use-denied",
            "models",
            List.of("claude-haiku"),
            "metadata",
            Map.of("allow_client_mock_response", true));
    Resp r = complete(p, k.raw(), "gpt-4o-mini");
    if (older(p)) {
      // 1.82.3: a 401 naming the key's models.
      assertShapeA(r, 401, "key_model_access_denied");
      assertThat(r.message())
          .isEqualTo(
              "key not allowed to access model. This key can only access models=['claude-haiku']."
                  + " Tried to access gpt-4o-mini");
    } else {
      assertShapeA(r, 403, "key_model_access_denied");
      assertThat(r.message())
          .isEqualTo(
              "The requested model 'gpt-4o-mini' is not available for this API key, or the model"
                  + " name is invalid. Check the models available to you and try again.");
    }
    assertThat(r.error().path("param").asText()).isEqualTo("model");
  }

  /** The key's row once its {@code last_active} is set, polled through the batch interval. */
  private static JsonNode awaitLastActive(Proxy p, Key k) throws InterruptedException {
    Instant deadline = Instant.now().plus(BATCH_WRITE);
    while (true) {
      Resp r = p.info(k.raw());
      assertThat(r.status()).as(r.body()).isEqualTo(200);
      JsonNode info = r.json().path("info");
      if (!info.path("last_active").isNull() || Instant.now().isAfter(deadline)) {
        assertThat(info.path("last_active").isNull())
            .as("last_active still null after %s: %s", BATCH_WRITE, info)
            .isFalse();
        return info;
      }
      Thread.sleep(500);
    }
  }
}
