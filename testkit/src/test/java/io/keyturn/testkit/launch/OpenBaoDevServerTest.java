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
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real OpenBao dev server, over the Vault HTTP API. */
class OpenBaoDevServerTest {

  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static OpenBaoDevServer bao;

  @BeforeAll
  static void start() throws Exception {
    bao = OpenBaoDevServer.builder().build().start();
  }

  @AfterAll
  static void stop() {
    bao.close();
  }

  @Test
  void listensOnLoopbackWithKvVersion2AtSecret() throws Exception {
    assertThat(bao.address()).isEqualTo("http://127.0.0.1:" + bao.port());
    HttpResponse<String> mount = send("GET", "/v1/sys/mounts/secret", null, bao.rootToken());
    assertThat(mount.statusCode()).isEqualTo(200);
    JsonNode data = JSON.readTree(mount.body()).path("data");
    assertThat(data.path("type").asText()).isEqualTo("kv");
    assertThat(data.path("options").path("version").asText()).isEqualTo("2");
  }

  @Test
  void writesAndReadsAKvVersion2Secret() throws Exception {
    HttpResponse<String> write =
        send(
            "POST",
            "/v1/secret/data/litellm/launcher-test",
            "{\"data\":{\"api_key\":\"sk-test-value\"}}",
            bao.rootToken());
    assertThat(write.statusCode()).as(write.body()).isEqualTo(200);
    int version = JSON.readTree(write.body()).path("data").path("version").asInt();
    assertThat(version).isPositive();

    HttpResponse<String> read =
        send("GET", "/v1/secret/data/litellm/launcher-test", null, bao.rootToken());
    assertThat(read.statusCode()).isEqualTo(200);
    JsonNode data = JSON.readTree(read.body()).path("data");
    assertThat(data.path("data").path("api_key").asText()).isEqualTo("sk-test-value");
    assertThat(data.path("metadata").path("version").asInt()).isEqualTo(version);
  }

  @Test
  void refusesAnotherToken() throws Exception {
    HttpResponse<String> read =
        send("GET", "/v1/secret/data/litellm/launcher-test", null, "not-the-root-token");
    assertThat(read.statusCode()).isEqualTo(403);
  }

  @Test
  void stopFreesThePortAndTheLogNeverHoldsTheRootToken(@TempDir Path dir) throws Exception {
    OpenBaoDevServer other =
        OpenBaoDevServer.builder()
            .logFile(dir.resolve("bao.log"))
            .rootToken("test-root-token")
            .build()
            .start();
    int port = other.port();
    assertThat(other.rootToken()).isEqualTo("test-root-token");
    assertThat(FreePorts.isListening(port)).isTrue();

    other.close();

    assertThat(other.isRunning()).isFalse();
    assertThat(FreePorts.isListening(port)).isFalse();
    assertThat(Files.readString(dir.resolve("bao.log"))).doesNotContain("test-root-token");
  }

  @Test
  void redactsTheDevModeBannerLines() {
    // Dev mode prints these when it has run a while and shuts down: too late to see here reliably.
    assertThat(OpenBaoDevServer.redact("Root Token: dev-s3cret-token", "dev-s3cret-token"))
        .isEqualTo("Root Token: (root token redacted)");
    assertThat(OpenBaoDevServer.redact("Unseal Key: CoXULgMCm5wE5DNx7niQ=", "dev-s3cret-token"))
        .doesNotContain("CoXULgMCm5wE5DNx7niQ=");
    assertThat(OpenBaoDevServer.redact("core: vault is unsealed", "dev-s3cret-token"))
        .isEqualTo("core: vault is unsealed");
  }

  @Test
  void builderRejectsAWeakRootToken() {
    assertThatThrownBy(() -> OpenBaoDevServer.builder().rootToken("root"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static HttpResponse<String> send(String method, String path, String body, String token)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(bao.address() + path)).header("X-Vault-Token", token);
    request.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
