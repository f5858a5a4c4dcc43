package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.testkit.launch.FreePorts;
import java.io.File;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The path a new user takes, run as they would: {@code scripts/demo.sh}, then the README's "Using
 * the CLI" block exactly as written, then keys of their own at the demo's LiteLLM, then {@code
 * scripts/demo.sh} again, then the README block again. The demo runs on free ports with its state
 * in a temporary {@code .keyturn/} (so it runs beside a developer's own demo); the README block
 * runs from that directory with only its LiteLLM port ({@code 127.0.0.1:4000}) replaced and {@code
 * TEMPORAL_ADDRESS} pointing at the demo's server.
 */
class DemoToCliEndToEndTest {
  static final Path REPO = Path.of("..").toAbsolutePath().normalize();
  static final Path DEMO = REPO.resolve("scripts/demo.sh");

  /** The user's working directory: {@code .keyturn/} (the demo's state) and {@code bin/}. */
  @TempDir static Path home;

  static final Map<String, String> env = new HashMap<>();
  static int litellmPort;
  static int temporalPort;

  @BeforeAll
  static void ports() throws Exception {
    temporalPort = FreePorts.pick();
    litellmPort = FreePorts.pick();
    env.put("DEMO_DIR", home.resolve(".keyturn").toString());
    env.put("DEMO_TEMPORAL_PORT", "" + temporalPort);
    env.put("DEMO_UI_PORT", "" + FreePorts.pick());
    env.put("DEMO_CODEC_PORT", "" + FreePorts.pick());
    env.put("DEMO_OPENBAO_PORT", "" + FreePorts.pickPair());
    env.put("DEMO_LITELLM_PORT", "" + litellmPort);
    env.put("DEMO_METRICS_PORT", "" + FreePorts.pick());
    env.put("DEMO_BUILD", "0"); // the reactor built the jars this test runs
    env.put("DEMO_GRACE", "2s");
    Files.createSymbolicLink(home.resolve("bin"), REPO.resolve("bin"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (!env.isEmpty()) {
      run(List.of("bash", DEMO.toString(), "stop"), Map.of(), Duration.ofMinutes(2));
    }
  }

  @Test
  void theReadmeCommandsWorkAfterTheDemoAndTheDemoAgainKeepsTheUsersKeys() throws Exception {
    Run first = demo();
    assertThat(first.exit()).as(first.out()).isZero();
    String emulatorPid = Files.readString(home.resolve(".keyturn/run/emulator.pid")).strip();

    Run cli = readmeCli();
    assertThat(cli.exit()).as("README's CLI block after the demo:\n" + cli.out()).isZero();
    assertThat(cli.out()).contains("Started rotation rotation/demo-app").contains("COMPLETED");

    // Keys the user makes at the demo's LiteLLM after the demo, as in any LiteLLM.
    List<String> mine = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      mine.add(generateKey("mine-" + i));
    }

    Run second = demo();
    assertThat(second.exit()).as(second.out()).isZero();
    assertThat(Files.readString(home.resolve(".keyturn/run/emulator.pid")).strip())
        .as("the second demo uses the emulator the first started")
        .isEqualTo(emulatorPid);
    for (String key : mine) {
      assertThat(keyInfoStatus(key)).as("a key the user made is still there").isEqualTo(200);
    }
    // Nothing was seeded the second time: the demo rotated the key Vault held. A seeded-key line
    // from the first run printed again would name a key revoked long ago.
    for (String line : seededLines(first.out())) {
      assertThat(second.out()).doesNotContain(line);
    }

    Run again = readmeCli();
    assertThat(again.exit()).as("README's CLI block after a second demo:\n" + again.out()).isZero();
    for (String key : mine) {
      assertThat(keyInfoStatus(key)).isEqualTo(200);
    }
  }

  private static Run demo() throws Exception {
    return run(List.of("bash", DEMO.toString()), Map.of(), Duration.ofMinutes(5));
  }

  /** README's first bash block under "## Using the CLI", as written but for the LiteLLM port. */
  private static Run readmeCli() throws Exception {
    String readme = Files.readString(REPO.resolve("README.md"));
    int section = readme.indexOf("\n## Using the CLI");
    assertThat(section).as("README has a 'Using the CLI' section").isPositive();
    int start = readme.indexOf("```bash\n", section) + "```bash\n".length();
    String block = readme.substring(start, readme.indexOf("```", start));
    assertThat(block).contains("127.0.0.1:4000").contains("keyturn rotate");
    Path script = home.resolve("readme-cli.sh");
    Files.writeString(script, block.replace("127.0.0.1:4000", "127.0.0.1:" + litellmPort));
    return run(
        List.of("bash", "-ex", script.toString()),
        Map.of("TEMPORAL_ADDRESS", "127.0.0.1:" + temporalPort),
        Duration.ofMinutes(5));
  }

  private static List<String> seededLines(String out) {
    List<String> lines = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^.*seeded.*$").matcher(out);
    while (m.find()) {
      lines.add(m.group().strip());
    }
    return lines;
  }

  private static String master() throws Exception {
    return Files.readString(home.resolve(".keyturn/litellm-master.key")).strip();
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static String generateKey(String alias) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + litellmPort + "/key/generate"))
                .header("Authorization", "Bearer " + master())
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"key_alias\":\"" + alias + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    Matcher m = Pattern.compile("\"key\"\\s*:\\s*\"(sk-[^\"]+)\"").matcher(r.body());
    assertThat(m.find()).isTrue();
    return m.group(1);
  }

  private static int keyInfoStatus(String key) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        "http://127.0.0.1:"
                            + litellmPort
                            + "/key/info?key="
                            + URLEncoder.encode(key, StandardCharsets.UTF_8)))
                .header("Authorization", "Bearer " + master())
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  record Run(int exit, String out) {}

  /** Runs a command from the user's directory, without the developer's own settings. */
  private static Run run(List<String> command, Map<String, String> extra, Duration timeout)
      throws Exception {
    ProcessBuilder pb = new ProcessBuilder(command).directory(home.toFile());
    pb.environment()
        .keySet()
        .removeIf(
            k ->
                k.startsWith("TEMPORAL_")
                    || k.startsWith("KEYTURN_")
                    || k.startsWith("LITELLM_")
                    || k.startsWith("VAULT_")
                    || k.startsWith("BAO_")
                    || k.startsWith("DEMO_"));
    pb.environment().putAll(env);
    pb.environment().putAll(extra);
    // To a file, not a pipe: the services the demo starts outlive it.
    Path out = Files.createTempFile(home, "run", ".out");
    pb.redirectErrorStream(true).redirectOutput(out.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    Process p = pb.start();
    if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException(
          String.join(" ", command)
              + " did not finish in "
              + timeout
              + ":\n"
              + Files.readString(out));
    }
    String text = Files.readString(out);
    System.out.println("$ " + String.join(" ", command) + "\n" + text);
    return new Run(p.exitValue(), text);
  }
}
