package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.testkit.launch.FreePorts;
import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.testkit.launch.TemporalDevServer;
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What an operator sees: the dev server's real Web UI, in Debian's headless Chromium driven by
 * playwright-core, finds a finished rotation by its search attribute and shows its input and its
 * summary, details and current details, all encrypted in history and decoded by the UI through the
 * worker's codec endpoint. The screenshot goes to {@code docs/ui-rotation.png} (shown in the
 * README), and the test fails if those three panels are blank in it. Needs /usr/bin/chromium and
 * {@code e2e/ui/node_modules}, which scripts/install-tools.sh installs; without them the test is
 * skipped with the reason, except on CI where it fails.
 */
class TemporalUiBrowserTest {
  @TempDir static Path dir;

  static TemporalDevServer temporal;
  static OpenBaoDevServer bao;
  static LiteLlmEmulator litellm;
  static WorkerProcess worker;
  static WorkerKeyring keyring;

  static final Path UI_DIR = Path.of("ui").toAbsolutePath();
  static final Path CHROMIUM =
      Path.of(System.getenv().getOrDefault("CHROMIUM", "/usr/bin/chromium"));

  @BeforeAll
  static void start() throws Exception {
    boolean ready =
        Files.isExecutable(CHROMIUM)
            && Files.isDirectory(UI_DIR.resolve("node_modules/playwright-core"));
    if (!ready && System.getenv("CI") != null) {
      throw new IllegalStateException(
          "the browser test needs "
              + CHROMIUM
              + " and e2e/ui/node_modules: scripts/install-tools.sh installs them");
    }
    Assumptions.assumeTrue(
        ready,
        "skipped: no " + CHROMIUM + " or e2e/ui/node_modules (run scripts/install-tools.sh)");
    // The UI must know the codec endpoint at start, so the worker's port is chosen first.
    int codecPort = FreePorts.pick();
    temporal =
        TemporalDevServer.builder()
            .dbFile(dir.resolve("temporal.sqlite"))
            .uiEnabled(true)
            .uiCodecEndpoint("http://127.0.0.1:" + codecPort)
            .build();
    temporal.start();
    bao = OpenBaoDevServer.builder().build();
    bao.start();
    String master = "sk-master-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "");
    litellm =
        LiteLlmEmulator.builder().masterKey(master).models(List.of("gpt-4o-mini")).build().start();
    Map<String, String> env = new HashMap<>();
    env.put("TEMPORAL_ADDRESS", temporal.address());
    env.put("LITELLM_MASTER_KEY_FILE", file("master.key", master).toString());
    env.put("VAULT_ADDR", bao.address());
    env.put("VAULT_TOKEN_FILE", file("vault.token", bao.rootToken()).toString());
    keyring = WorkerKeyring.generate();
    env.put(
        "KEYTURN_WORKER_KEYRING_FILE", file("worker-keyring.json", keyring.toJson()).toString());
    env.put(
        "KEYTURN_PAYLOAD_KEY_FILE", file("payload.key", PayloadKeys.generateBase64()).toString());
    env.put("KEYTURN_CODEC_PORT", "" + codecPort);
    env.put("KEYTURN_LOG_LEVEL", "DEBUG"); // the codec endpoint logs each call (never payloads)
    env.put("KEYTURN_CODEC_CORS_ORIGINS", temporal.uiUrl());
    worker = new WorkerProcess(env, dir.resolve("worker.log")).start();
  }

  @AfterAll
  static void stop() throws Exception {
    for (AutoCloseable c : new AutoCloseable[] {worker, litellm, bao, temporal}) {
      if (c != null) {
        c.close();
      }
    }
  }

  private static Path file(String name, String value) throws Exception {
    return E2eStack.file(dir, name, value);
  }

  @Test
  void theUiFindsAFinishedRotationByItsSearchAttributeAndShowsItsSummary() throws Exception {
    String old =
        litellm.createKey(Map.of("key_alias", "billing-api", "models", List.of("gpt-4o-mini")));
    Cli cli =
        Cli.forWorker(temporal.address(), dir.resolve("payload.key"), keyring, litellm.baseUrl());
    Cli.Result r =
        cli.run(
            "rotate",
            "--secret-id",
            "billing-api",
            "--key-file",
            file("billing-api.key", old).toString(),
            "--generation",
            "1",
            "--grace",
            "1s",
            "--wait");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();

    Path shot = Path.of("..", "docs", "ui-rotation.png").toAbsolutePath().normalize();
    Files.createDirectories(shot.getParent());
    ProcessBuilder pb =
        new ProcessBuilder(
                "node",
                "ui-check.mjs",
                temporal.uiUrl(),
                "default",
                "rotation/billing-api",
                "billing-api",
                shot.toString(),
                KeyMaterial.tokenHash(old),
                "Summary=Rotate billing-api g1",
                "Details=Started by",
                "Current Details=COMPLETED")
            .directory(UI_DIR.toFile())
            .redirectErrorStream(true);
    pb.environment().put("CHROMIUM", CHROMIUM.toString());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the browser finished").isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("found rotation/billing-api");
    // Summary and input are encrypted in history: the UI showed them by calling the codec.
    assertThat(out).contains("the decoded input shows \"" + KeyMaterial.tokenHash(old) + "\"");
    assertThat(worker.log()).contains("codec endpoint: /decode");
    assertThat(Files.size(shot)).isGreaterThan(10_000);
    assertThat(out).doesNotContain(old);

    // The picture itself: each panel's box holds text, not only its background.
    BufferedImage picture = ImageIO.read(shot.toFile());
    Matcher box = Pattern.compile("(?m)^panel (.+) box (\\d+) (\\d+) (\\d+) (\\d+)$").matcher(out);
    List<String> panels = new ArrayList<>();
    while (box.find()) {
      panels.add(box.group(1));
      int ink =
          inkPixels(
              picture,
              Integer.parseInt(box.group(2)),
              Integer.parseInt(box.group(3)),
              Integer.parseInt(box.group(4)),
              Integer.parseInt(box.group(5)));
      assertThat(ink)
          .as("pixels of text in the " + box.group(1) + " panel of " + shot)
          .isGreaterThan(500);
    }
    assertThat(panels).containsExactly("Summary", "Details", "Current Details");
  }

  /**
   * Pixels in the box that differ clearly from its most common colour (its background): about 0 for
   * a blank panel, thousands for a line of text.
   */
  static int inkPixels(BufferedImage image, int x, int y, int width, int height) {
    int right = Math.min(x + width, image.getWidth());
    int bottom = Math.min(y + height, image.getHeight());
    Map<Integer, Integer> counts = new HashMap<>();
    for (int j = y; j < bottom; j++) {
      for (int i = x; i < right; i++) {
        counts.merge(image.getRGB(i, j) & 0xffffff, 1, Integer::sum);
      }
    }
    int background =
        counts.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
    int ink = 0;
    for (int j = y; j < bottom; j++) {
      for (int i = x; i < right; i++) {
        int c = image.getRGB(i, j);
        int diff = 0;
        for (int shift = 0; shift <= 16; shift += 8) {
          diff = Math.max(diff, Math.abs(((c >> shift) & 255) - ((background >> shift) & 255)));
        }
        if (diff > 64) {
          ink++;
        }
      }
    }
    return ink;
  }
}
