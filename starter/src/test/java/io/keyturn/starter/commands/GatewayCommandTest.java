package io.keyturn.starter.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.gateway.litellm.GatewayCheck;
import io.keyturn.starter.CliRunner;
import io.keyturn.starter.CliRunner.Run;
import io.keyturn.starter.checks.OnlineChecks;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code keyturn gateway check} as a user runs it, against the LiteLLM emulator. */
class GatewayCommandTest {
  static final String MASTER = "sk-test-master-gateway-check-0001";
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  LiteLlmEmulator proxy;

  static final CliRunner CLI =
      CliRunner.with(
          (connection, dataConverter) -> {
            throw new AssertionError("gateway check must not talk to Temporal");
          });

  @BeforeEach
  void start() {
    proxy =
        LiteLlmEmulator.builder()
            .masterKey(MASTER)
            .user("keyturn-rotator", "proxy_admin")
            .build()
            .start();
  }

  @AfterEach
  void stop() {
    proxy.close();
  }

  Run run(Map<String, String> env, String... args) {
    return run(false, env, args);
  }

  Run run(boolean tty, Map<String, String> env, String... args) {
    return CLI.run(env, "", tty, Clock.systemUTC(), args);
  }

  /** {@code gateway check} of {@code gateway} with the management key in {@code keyFile}. */
  Run checkWithKeyFile(String gateway, Path keyFile, String... more) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "gateway", "check", "--gateway", gateway, "--management-key-file", keyFile.toString()));
    args.addAll(List.of(more));
    return run(Map.of(), args.toArray(String[]::new));
  }

  Path secretFile(String name, String value) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, value);
    return p;
  }

  @Test
  void theMasterKeyFromTheEnvironmentIsReadyAndNeverPrinted() {
    Run r =
        run(
            Map.of("LITELLM_URL", proxy.baseUrl(), "LITELLM_MASTER_KEY", MASTER),
            "gateway",
            "check");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out())
        .contains("management key: the master key")
        .contains("ok    readiness")
        .contains("Ready:")
        .doesNotContain(MASTER);
  }

  @Test
  void aKeyMissingDeleteExitsOneNamingTheRouteInJson() throws Exception {
    String scoped =
        proxy.createKey(
            Map.of(
                "key_alias",
                "mgmt",
                "user_id",
                "keyturn-rotator",
                "allowed_routes",
                List.of("/key/generate", "/key/info")));
    Path f = secretFile("mgmt.key", scoped + "\n");
    Run r = checkWithKeyFile(proxy.baseUrl() + "/", f, "--json");
    assertThat(r.exit()).isEqualTo(1);
    JsonNode o = JSON.readTree(r.out());
    assertThat(o.path("ok").asBoolean()).isFalse();
    assertThat(o.path("missingRoutes").toString()).isEqualTo("[\"/key/delete\"]");
    assertThat(o.path("fix").asText()).contains("allowed_routes");
    assertThat(r.out()).doesNotContain(scoped);
  }

  @Test
  void aKeyFromANamedVariableThatIsNotAProxyAdminsIsDiagnosed() {
    String appKey =
        proxy.createKey(
            Map.of(
                "key_alias",
                "app",
                "user_id",
                "some-developer",
                "allowed_routes",
                GatewayCheck.REQUIRED_ROUTES));
    Map<String, String> env = new HashMap<>();
    env.put("ROTATOR_KEY", appKey);
    Run r =
        run(
            env,
            "gateway",
            "check",
            "--gateway",
            proxy.baseUrl(),
            "--management-key-env",
            "ROTATOR_KEY");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out()).contains("Diagnosis: The management key is not a proxy_admin's");
    assertThat(r.out()).contains("NOT ready");
  }

  @Test
  void badInputIsAUsageErrorThatSaysWhatToDo() {
    Run noKey = run(Map.of(), "gateway", "check", "--gateway", proxy.baseUrl());
    assertThat(noKey.exit()).isEqualTo(2);
    assertThat(noKey.err()).contains("no management key").contains("LITELLM_MASTER_KEY_FILE");

    Run badUrl =
        run(Map.of("LITELLM_MASTER_KEY", MASTER), "gateway", "check", "--gateway", "litellm:4000");
    assertThat(badUrl.exit()).isEqualTo(2);
    assertThat(badUrl.err()).contains("is not a URL like");

    Run missingFile =
        run(
            Map.of(),
            "gateway",
            "check",
            "--management-key-file",
            dir.resolve("nope.key").toString());
    assertThat(missingFile.exit()).isEqualTo(2);
    assertThat(missingFile.err())
        .contains("--management-key-file " + dir.resolve("nope.key") + " does not exist");
    assertThat(proxy.calls()).as("nothing was sent to the proxy").isEmpty();
  }

  @Test
  void marksAreColouredOnlyOnATerminalWithoutNoColor() {
    Map<String, String> env = new HashMap<>();
    env.put("LITELLM_URL", proxy.baseUrl());
    env.put("LITELLM_MASTER_KEY", MASTER);
    assertThat(run(true, env, "gateway", "check").out()).contains("\u001b[32mok  \u001b[0m");
    assertThat(run(false, env, "gateway", "check").out()).doesNotContain("\u001b[");
    env.put("NO_COLOR", "1");
    assertThat(run(true, env, "gateway", "check").out()).doesNotContain("\u001b[");
  }

  @Test
  void aRefusedKeysFixNamesWhereThatKeyWasReadAndNoInternalSeeds() throws Exception {
    Path f = secretFile("wrong.key", "sk-not-a-key-this-proxy-knows\n");
    Run r = checkWithKeyFile(proxy.baseUrl(), f);
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.out())
        .contains("Fix: Give the master key")
        .contains("the file " + f + " (--management-key-file)")
        .doesNotContain("LITELLM_MASTER_KEY")
        .doesNotContain("seed");

    Run ok =
        run(
            Map.of("LITELLM_URL", proxy.baseUrl(), "LITELLM_MASTER_KEY", MASTER),
            "gateway",
            "check",
            "--json");
    assertThat(JSON.readTree(ok.out()).path("fix").asText())
        .contains("allowed_routes")
        .doesNotContain("seed");
  }

  @Test
  void planChecksAManagementKeyFromKeyturnYamlAndItsFixNamesThatPlace() {
    var spec =
        new io.keyturn.starter.config.SecretSpec(
            "billing",
            null,
            dir.resolve("keyturn.yaml"),
            proxy.baseUrl(),
            new io.keyturn.starter.config.SecretSpec.KeySource("ROTATOR_KEY", null, null),
            new io.keyturn.starter.config.SecretSpec.KeySource(null, null, "0".repeat(64)),
            new io.keyturn.starter.config.SecretSpec.Policy(true, null, Map.of()),
            List.of(),
            null,
            java.time.Duration.ofHours(1),
            false);
    var problems =
        new OnlineChecks(
                Map.of("ROTATOR_KEY", "sk-not-a-key-this-proxy-knows"),
                java.time.Duration.ofSeconds(5))
            .run(List.of(spec));
    assertThat(problems).hasSize(1);
    assertThat(problems.get(0).fix())
        .contains("$ROTATOR_KEY (keyturn.yaml: gateway.managementKey)")
        .doesNotContain("LITELLM_MASTER_KEY")
        .doesNotContain("seed");
  }
}
