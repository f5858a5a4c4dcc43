package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.testkit.provider.UpstreamProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A stored deployment whose api_key is {@code os.environ/NAME}: requests call with what the secret
 * manager holds, and a value changed in the store reaches them only when the cache entry expires.
 */
class ProxySecretManagerTest {
  static final String MASTER = "sk-master-secret-manager-0000";
  static final HttpClient HTTP = HttpClient.newHttpClient();

  final Map<String, String> store = new ConcurrentHashMap<>();
  UpstreamProvider upstream;
  LiteLlmEmulator proxy;

  @BeforeEach
  void start() {
    upstream = new UpstreamProvider("sk-admin-secret-manager-00", "proj_sm").start();
    proxy =
        LiteLlmEmulator.builder()
            .masterKey(MASTER)
            .secretManager(
                ProxySecretManager.of(
                    name -> Optional.ofNullable(store.get(name)), Duration.ofHours(1)))
            .build()
            .start();
  }

  @AfterEach
  void stop() {
    proxy.close();
    upstream.close();
  }

  int post(String path, String body) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(proxy.baseUrl() + path))
                .header("Authorization", "Bearer " + MASTER)
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  int chat() throws Exception {
    return post(
        "/v1/chat/completions",
        "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
  }

  @Test
  void theProxyKeepsTheOldKeyUntilItsCacheExpires() throws Exception {
    String oldKey = upstream.issueKey();
    String newKey = upstream.issueKey();
    store.put("OPENAI_API_KEY", oldKey);
    assertThat(
            post(
                "/model/new",
                "{\"model_name\":\"g\",\"litellm_params\":{\"model\":\"openai/gpt-4o-mini\","
                    + "\"api_base\":\""
                    + upstream.apiBase()
                    + "\",\"api_key\":\"os.environ/OPENAI_API_KEY\"},\"model_info\":{\"id\":\"d1\"}}"))
        .isEqualTo(200);
    assertThat(chat()).isEqualTo(200);

    store.put("OPENAI_API_KEY", newKey);
    upstream.revoke(oldKey);
    assertThat(chat()).as("still the cached old key").isEqualTo(401);

    proxy.advanceClock(Duration.ofMinutes(61));
    assertThat(chat()).as("the cache expired: the new key is read").isEqualTo(200);

    store.remove("OPENAI_API_KEY");
    proxy.advanceClock(Duration.ofMinutes(61));
    assertThat(chat()).as("no value: the request goes without a key").isEqualTo(401);
  }
}
