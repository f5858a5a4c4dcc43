package io.keyturn.testkit.launch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The real Temporal CLI dev server, started, used, restarted and stopped. */
class TemporalDevServerTest {

  @Test
  void startsHeadlessOnLoopbackWithTheSearchAttributesAskedFor() throws Exception {
    try (TemporalDevServer temporal =
        TemporalDevServer.builder().searchAttribute("KeyturnSecretId", "Keyword").build()) {
      temporal.start();

      assertThat(temporal.address()).isEqualTo("127.0.0.1:" + temporal.port());
      assertThat(temporal.isRunning()).isTrue();
      CommandResult describe = temporal.cli("operator", "namespace", "describe", "-n", "default");
      assertThat(describe.exitCode()).as(describe.output()).isZero();
      assertThat(describe.output()).contains("default").contains("Registered");
      CommandResult attributes =
          temporal.cli("operator", "search-attribute", "list", "-n", "default");
      assertThat(attributes.exitCode()).as(attributes.output()).isZero();
      assertThat(attributes.output()).contains("KeyturnSecretId");
      assertThatThrownBy(temporal::uiUrl).isInstanceOf(IllegalStateException.class);
    }
  }

  /** A restart, and a crash (SIGKILL, then start): both keep the port and what was persisted. */
  @ParameterizedTest(name = "crash first: {0}")
  @ValueSource(booleans = {false, true})
  void restartKeepsPortAndDatabaseSoWhatWasCreatedSurvives(boolean crash, @TempDir Path dir)
      throws Exception {
    Path db = dir.resolve("temporal.sqlite");
    try (TemporalDevServer temporal = TemporalDevServer.builder().dbFile(db).build()) {
      temporal.start();
      String address = temporal.address();
      CommandResult create =
          temporal.cli(
              "operator", "namespace", "create", "-n", "survives-restart", "--retention", "1d");
      assertThat(create.exitCode()).as(create.output()).isZero();

      if (crash) {
        temporal.kill();
        assertThat(temporal.isRunning()).isFalse();
        temporal.start();
      } else {
        temporal.restart();
      }

      assertThat(temporal.address()).isEqualTo(address);
      CommandResult describe =
          temporal.cli("operator", "namespace", "describe", "-n", "survives-restart");
      assertThat(describe.exitCode()).as(describe.output()).isZero();
      assertThat(describe.output()).contains("survives-restart");
      // A name never created is refused: the check above can fail.
      CommandResult missing =
          temporal.cli("operator", "namespace", "describe", "-n", "never-created");
      assertThat(missing.exitCode()).as(missing.output()).isNotZero();
    }
    assertThat(db).exists();
  }

  @Test
  void stopFreesThePortAndStartComesBackOnIt(@TempDir Path dir) throws Exception {
    try (TemporalDevServer temporal =
        TemporalDevServer.builder().dbFile(dir.resolve("t.sqlite")).build()) {
      temporal.start();
      int port = temporal.port();

      temporal.stop();
      assertThat(temporal.isRunning()).isFalse();
      assertThat(FreePorts.isListening(port)).isFalse();
      temporal.stop(); // idempotent

      temporal.start();
      assertThat(temporal.port()).isEqualTo(port);
      assertThat(temporal.cli("operator", "cluster", "health").output()).contains("SERVING");
    }
  }

  @Test
  void restartFailsClearlyWhenAnotherProcessTookThePort(@TempDir Path dir) throws Exception {
    try (TemporalDevServer temporal =
        TemporalDevServer.builder().dbFile(dir.resolve("t.sqlite")).build()) {
      temporal.start();
      int port = temporal.port();
      temporal.stop();

      try (ServerSocket squatter = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        assertThatThrownBy(temporal::restart)
            .isInstanceOf(IOException.class)
            .hasMessageContaining("127.0.0.1:" + port)
            .hasMessageContaining("taken by another process");
      }
      assertThat(temporal.isRunning()).isFalse();
    }
  }

  @Test
  void servesTheWebUiWhenEnabledPointedAtTheCodecEndpoint() throws Exception {
    try (TemporalDevServer temporal =
        TemporalDevServer.builder()
            .uiEnabled(true)
            .uiCodecEndpoint("http://127.0.0.1:18089/")
            .build()) {
      temporal.start();

      assertThat(temporal.uiUrl()).startsWith("http://127.0.0.1:");
      HttpResponse<String> page = getWithRetry(temporal.uiUrl() + "/");
      assertThat(page.statusCode()).isEqualTo(200);
      // The UI's settings tell the browser where to decode payloads.
      HttpResponse<String> settings = getWithRetry(temporal.uiUrl() + "/api/v1/settings");
      assertThat(settings.body()).contains("\"Endpoint\":\"http://127.0.0.1:18089\"");
    }
  }

  @Test
  void createsTheNamespaceAskedForAndTheDefaultOne() throws Exception {
    try (TemporalDevServer temporal =
        TemporalDevServer.builder()
            .namespace("keyturn-test")
            .dynamicConfigValue("frontend.enableUpdateWorkflowExecution", "true")
            .build()) {
      temporal.start();

      assertThat(temporal.cli("operator", "namespace", "describe", "-n", "keyturn-test").exitCode())
          .isZero();
      assertThat(temporal.cli("operator", "namespace", "describe", "-n", "default").exitCode())
          .isZero();
    }
  }

  @Test
  void closeDeletesTheDatabaseItCreatedButKeepsTheLog() throws Exception {
    TemporalDevServer temporal = TemporalDevServer.builder().build();
    temporal.start();
    Path db = temporal.dbFile();
    assertThat(db).exists();

    temporal.close();

    assertThat(db).doesNotExist();
    assertThat(temporal.logFile()).exists();
  }

  @Test
  void aMissingBinaryFailsAtBuildNamingTheInstallScript(@TempDir Path dir) {
    assertThatThrownBy(
            () -> TemporalDevServer.builder().temporalBinary(dir.resolve("temporal")).build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("scripts/install-tools.sh");
  }

  @Test
  void aServerThatCannotStartFailsWithItsLog(@TempDir Path dir) throws IOException {
    Path fake = dir.resolve("temporal");
    Files.writeString(fake, "#!/bin/sh\necho 'boom: cannot open database' >&2\nexit 3\n");
    fake.toFile().setExecutable(true);
    TemporalDevServer temporal = TemporalDevServer.builder().temporalBinary(fake).build();

    assertThatThrownBy(temporal::start)
        .isInstanceOf(IOException.class)
        .hasMessageContaining("exited with code 3")
        .hasMessageContaining("boom: cannot open database");
    assertThat(temporal.isRunning()).isFalse();
  }

  @Test
  void builderRejectsBadArgumentsAtOnce() {
    TemporalDevServer.Builder builder = TemporalDevServer.builder();
    assertThatThrownBy(() -> builder.searchAttribute("KeyturnSecretId", "String"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Keyword");
    assertThatThrownBy(() -> builder.searchAttribute("has space", "Keyword"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.namespace(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.dynamicConfigValue("k", ""))
        .isInstanceOf(IllegalArgumentException.class);
    for (String bad : new String[] {"", "127.0.0.1:8089", "file:///x", "http://"}) {
      assertThatThrownBy(() -> builder.uiCodecEndpoint(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("http(s) URL");
    }
  }

  private static HttpResponse<String> getWithRetry(String url) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).GET().build();
    IOException last = null;
    for (int i = 0; i < 50; i++) {
      try {
        return http.send(request, HttpResponse.BodyHandlers.ofString());
      } catch (IOException e) {
        last = e;
        Thread.sleep(200);
      }
    }
    throw last;
  }
}
