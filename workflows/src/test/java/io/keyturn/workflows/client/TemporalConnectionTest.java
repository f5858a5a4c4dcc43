package io.keyturn.workflows.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Temporal's client configuration as Keyturn reads it: variables, temporal.toml profiles. */
class TemporalConnectionTest {
  @TempDir Path dir;

  @Test
  void nothingSetIsTheLocalDevServer() {
    TemporalConnection c = TemporalConnection.fromEnvironment(Map.of());
    assertThat(c.address()).isEqualTo("127.0.0.1:7233");
    assertThat(c.namespace()).isEqualTo("default");
    assertThat(c.tls()).isFalse();
  }

  @Test
  void aProfileOfTemporalTomlIsUsedAndVariablesWinOverIt() throws Exception {
    Path toml = dir.resolve("temporal.toml");
    Files.writeString(
        toml,
        """
        [profile.default]
        address = "default.example:7233"

        [profile.staging]
        address = "staging.example:7233"
        namespace = "rotations"
        """);
    Map<String, String> env = new HashMap<>();
    env.put("TEMPORAL_CONFIG_FILE", toml.toString());
    env.put("TEMPORAL_PROFILE", "staging");
    TemporalConnection c = TemporalConnection.fromEnvironment(env);
    assertThat(c.address()).isEqualTo("staging.example:7233");
    assertThat(c.namespace()).isEqualTo("rotations");

    env.put("TEMPORAL_NAMESPACE", "from-env");
    assertThat(TemporalConnection.fromEnvironment(env).namespace()).isEqualTo("from-env");
    assertThat(TemporalConnection.fromEnvironment(env).with("other:7000", null).address())
        .isEqualTo("other:7000");
  }

  @Test
  void anApiKeyImpliesTlsAndIsNeverPrinted() {
    TemporalConnection c =
        TemporalConnection.fromEnvironment(
            Map.of("TEMPORAL_ADDRESS", "ns.acct.tmprl.cloud:7233", "TEMPORAL_API_KEY", "k-123"));
    assertThat(c.tls()).isTrue();
    assertThat(c.toString()).doesNotContain("k-123").contains("apiKey=set");
  }

  @Test
  void badInputSaysWhatToSet() {
    assertThatThrownBy(() -> TemporalConnection.local("no-port"))
        .hasMessageContaining("must be host:port");
    assertThatThrownBy(
            () ->
                TemporalConnection.fromEnvironment(
                    Map.of("TEMPORAL_TLS_CLIENT_CERT_PATH", dir.resolve("c.pem").toString())))
        .hasMessageContaining("TEMPORAL_TLS_CLIENT_KEY_PATH");
    assertThatThrownBy(
            () ->
                TemporalConnection.fromEnvironment(
                    Map.of(
                        "TEMPORAL_CONFIG_FILE",
                        dir.resolve("none.toml").toString(),
                        "TEMPORAL_PROFILE",
                        "prod")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("TEMPORAL_");
  }
}
