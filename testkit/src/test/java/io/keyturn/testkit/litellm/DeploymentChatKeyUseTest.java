package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.provider.UpstreamProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A virtual key's request to a model group whose stored deployments call an upstream is use of that
 * key, as for any other model: LiteLLM's spend writer sets its {@code last_active}, which Keyturn
 * reads to tell whether an old key is still used.
 */
class DeploymentChatKeyUseTest {
  static final String MASTER = "sk-master-deployment-use-0000";
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  UpstreamProvider upstream;
  LiteLlmEmulator proxy;

  @BeforeEach
  void start() {
    upstream = new UpstreamProvider("sk-admin-deployment-use-00", "proj_du").start();
    proxy = LiteLlmEmulator.builder().masterKey(MASTER).build().start();
  }

  @AfterEach
  void stop() {
    proxy.close();
    upstream.close();
  }

  HttpResponse<String> send(String method, String path, String key, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(proxy.baseUrl() + path))
            .header("Authorization", "Bearer " + key)
            .header("content-type", "application/json");
    b = body == null ? b.GET() : b.method(method, HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aRequestRoutedToADeploymentIsRecordedAsUseOfTheVirtualKey() throws Exception {
    assertThat(
            send(
                    "POST",
                    "/model/new",
                    MASTER,
                    "{\"model_name\":\"g\",\"litellm_params\":{\"model\":\"openai/gpt-4o-mini\","
                        + "\"api_base\":\""
                        + upstream.apiBase()
                        + "\",\"api_key\":\""
                        + upstream.issueKey()
                        + "\"},\"model_info\":{\"id\":\"d1\"}}")
                .statusCode())
        .isEqualTo(200);
    HttpResponse<String> gen = send("POST", "/key/generate", MASTER, "{\"models\":[\"g\"]}");
    assertThat(gen.statusCode()).as(gen.body()).isEqualTo(200);
    String key = JSON.readTree(gen.body()).path("key").asText();

    HttpResponse<String> chat =
        send(
            "POST",
            "/v1/chat/completions",
            key,
            "{\"model\":\"g\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    assertThat(chat.statusCode()).as(chat.body()).isEqualTo(200);
    assertThat(upstream.completions()).as("it reached the upstream").isEqualTo(1);

    JsonNode info =
        JSON.readTree(send("GET", "/key/info?key=" + key, MASTER, null).body()).path("info");
    assertThat(info.path("last_active").isNull() || info.path("last_active").isMissingNode())
        .as("used: %s", info)
        .isFalse();
  }
}
