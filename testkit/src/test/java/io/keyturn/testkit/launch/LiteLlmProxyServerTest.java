package io.keyturn.testkit.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * LiteLLM's real proxy on the prisma stand-in: ready with its database connected, the master key
 * manages keys, a generated key lists the configured models, a wrong key is refused, and the
 * process is gone after close.
 */
class LiteLlmProxyServerTest {

  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  private static HttpResponse<String> call(
      LiteLlmProxyServer proxy, String method, String path, String bearer, String body)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(proxy.baseUrl() + path))
            .header("Authorization", "Bearer " + bearer)
            .header("Content-Type", "application/json");
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void realProxyManagesKeysListsModelsAndRefusesAWrongKey() throws Exception {
    int port;
    try (LiteLlmProxyServer proxy = LiteLlmProxyServer.builder().build().start()) {
      port = proxy.port();
      String mk = proxy.masterKey();

      HttpResponse<String> readiness = call(proxy, "GET", "/health/readiness", "", null);
      assertThat(readiness.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(readiness.body()).path("db").asText()).isEqualTo("connected");

      HttpResponse<String> generated =
          call(proxy, "POST", "/key/generate", mk, "{\"key_alias\":\"launcher-test\"}");
      assertThat(generated.statusCode()).as(generated.body()).isEqualTo(200);
      JsonNode key = JSON.readTree(generated.body());
      String raw = key.path("key").asText();
      String hash = key.path("token_id").asText();
      assertThat(raw).startsWith("sk-");
      assertThat(hash).hasSize(64);

      HttpResponse<String> info = call(proxy, "GET", "/key/info?key=" + hash, mk, null);
      assertThat(info.statusCode()).as(info.body()).isEqualTo(200);
      assertThat(JSON.readTree(info.body()).path("info").path("key_alias").asText())
          .isEqualTo("launcher-test");

      HttpResponse<String> models = call(proxy, "GET", "/v1/models", raw, null);
      assertThat(models.statusCode()).as(models.body()).isEqualTo(200);
      List<String> ids = new ArrayList<>();
      JSON.readTree(models.body()).path("data").forEach(m -> ids.add(m.path("id").asText()));
      assertThat(ids).containsExactlyInAnyOrderElementsOf(LiteLlmProxyServer.DEFAULT_MODELS);

      HttpResponse<String> wrong = call(proxy, "GET", "/v1/models", "sk-not-a-key-1234", null);
      assertThat(wrong.statusCode()).isEqualTo(401);

      HttpResponse<String> deleted =
          call(proxy, "POST", "/key/delete", mk, "{\"keys\":[\"" + hash + "\"]}");
      assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(200);
      assertThat(call(proxy, "GET", "/v1/models", raw, null).statusCode()).isEqualTo(401);

      // The master key never reaches the log; the stand-in reported nothing it does not support.
      String log = Files.readString(proxy.logFile());
      assertThat(log).doesNotContain(mk).contains("PRISMA-STAND-IN INFO connected");
      assertThat(log).doesNotContain("prisma stand-in does not support");
    }
    assertThat(FreePorts.isListening(port)).isFalse();
  }

  @Test
  void builderRefusesWeakMasterKeysAndTheCompromisedRelease() {
    assertThatThrownBy(() -> LiteLlmProxyServer.builder().masterKey("sk-1234"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LiteLlmProxyServer.builder().version("1.107.0"))
        .hasMessageContaining("never used");
  }

  @Test
  void missingVersionSaysToRunTheInstallScript() {
    assertThatThrownBy(() -> LiteLlmProxyServer.builder().version("0.0.1").build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("run scripts/install-tools.sh".substring(4))
        .hasMessageContaining("py-litellm-0.0.1");
  }
}
