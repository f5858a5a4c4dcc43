package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.workflows.crypto.KeyMaterial;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Master-key rotations end to end: the real Temporal dev server, worker process, OpenBao and CLI,
 * and per test a LiteLLM emulator that reads its master key from Vault when its test-double restart
 * route is called (standing in for the proxy's process restart).
 */
class MasterKeyEndToEndTest extends OnE2eStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private final List<LiteLlmEmulator> proxies = new ArrayList<>();

  @AfterEach
  void stopProxies() {
    proxies.forEach(LiteLlmEmulator::close);
    proxies.clear();
  }

  /**
   * A proxy running {@code key}, reading it at restart from Vault {@code secret/litellm/<name>}.
   */
  LiteLlmEmulator proxy(String key, String vaultName, Consumer<LiteLlmEmulator.Builder> more)
      throws Exception {
    writeVault(vaultName, key);
    LiteLlmEmulator.Builder b =
        LiteLlmEmulator.builder()
            .masterKey(key)
            .storedModels(List.of("db-gpt", "db-claude"))
            .storedCredentials(List.of("openai-prod"))
            .masterKeySource(
                () -> {
                  try {
                    return VaultKeys.of(bao, vaultName);
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                });
    more.accept(b);
    LiteLlmEmulator e = b.build().start();
    proxies.add(e);
    return e;
  }

  static String newMaster() {
    return "sk-master-" + java.util.UUID.randomUUID().toString().replace("-", "");
  }

  Path yaml(String id, String vaultName, LiteLlmEmulator p, String saltKey, String restart)
      throws Exception {
    String salt = saltKey == null ? "" : "      saltKey: " + saltKey + "\n";
    return file(
        id + ".yaml",
        "apiVersion: keyturn/v1\n"
            + "masterKeys:\n"
            + "  - id: "
            + id
            + "\n"
            + "    gateway: {url: "
            + p.baseUrl()
            + "}\n"
            + "    destinations: [{type: vault-kv2, name: "
            + vaultName
            + "}]\n"
            + salt.replace("      ", "    ")
            + "    restart: "
            + restart
            + "\n");
  }

  static String webhook(LiteLlmEmulator p) {
    return "{mode: webhook, url: \"" + p.baseUrl() + "/keyturn-test-double/restart\"}";
  }

  @Test
  void vaultDestinationAndWebhookRestart() throws Exception {
    String old = newMaster();
    LiteLlmEmulator p = proxy(old, "master-a", b -> {});
    Path f = yaml("mk-a", "master-a", p, "false", webhook(p));

    Cli.Result r = keyturn("rotate-master", "-f", f.toString(), "--id", "mk-a", "--wait", "--json");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    JsonNode out = JSON.readTree(r.out());
    assertThat(out.path("outcome").asText()).isEqualTo("rotated");
    assertThat(out.path("storedModels").asInt()).isEqualTo(2);
    assertThat(out.path("credentials").asInt()).isEqualTo(1);

    String next = VaultKeys.of(bao, "master-a");
    assertThat(next).startsWith("sk-").isNotEqualTo(old);
    assertThat(p.runningMasterKeyHash()).isEqualTo(KeyMaterial.tokenHash(next));
    assertThat(p.unreadableStoredValues()).isEmpty();
    assertThat(status(p, "/key/list", next)).isEqualTo(200);
    assertThat(status(p, "/key/list", old)).isEqualTo(401);
    assertThat(p.calls().stream().filter(c -> c.route().equals("/key/regenerate")).count())
        .isEqualTo(1);
    assertThat(p.liveKeys()).as("the probe key is deleted").isEmpty();

    Cli.Result st = keyturn("master-status", "mk-a", "--json");
    assertThat(st.exit()).as(st.err()).isZero();
    JsonNode s = JSON.readTree(st.out());
    assertThat(s.path("status").asText()).isEqualTo("COMPLETED");
    assertThat(s.path("phase").asText()).isEqualTo("DONE");
    assertThat(s.path("proxyRuns").asText()).isEqualTo(KeyMaterial.ref(next).fingerprint());
    assertNoKeyIn(List.of(old, next), r.out(), r.err(), st.out(), worker.log());
  }

  @Test
  void applySchedulesTheRotationAndATriggeredRunRotatesUnderMasterKeyId() throws Exception {
    String old = newMaster();
    LiteLlmEmulator p = proxy(old, "master-s", b -> {});
    Path f =
        file(
            "mk-s-scheduled.yaml",
            Files.readString(yaml("mk-s", "master-s", p, "false", webhook(p)))
                + "    schedule: {every: 1h}\n");

    Cli.Result plan = keyturn("plan", "-f", f.toString());
    assertThat(plan.exit()).as(plan.out() + plan.err()).isZero();
    assertThat(plan.out()).contains("+ create     keyturn/master-key/mk-s");
    Cli.Result apply = keyturn("apply", "-f", f.toString());
    assertThat(apply.exit()).as(apply.out() + apply.err()).isZero();
    assertThat(apply.out()).contains("1 created");

    io.temporal.client.schedules.ScheduleClient.newInstance(stubs)
        .getHandle("keyturn/master-key/mk-s")
        .trigger();
    JsonNode s = awaitStatus("mk-s", j -> !j.path("status").asText().equals("RUNNING"));
    assertThat(s.path("status").asText()).as(s.toString()).isEqualTo("COMPLETED");
    assertThat(s.path("phase").asText()).isEqualTo("DONE");
    String next = VaultKeys.of(bao, "master-s");
    assertThat(next).startsWith("sk-").isNotEqualTo(old);
    assertThat(p.runningMasterKeyHash()).isEqualTo(KeyMaterial.tokenHash(next));
    assertThat(status(p, "/key/list", next)).isEqualTo(200);
    assertThat(status(p, "/key/list", old)).isEqualTo(401);
    assertNoKeyIn(List.of(old, next), plan.out(), apply.out(), apply.err(), worker.log());
  }

  @Test
  void manualConfirmationSurvivesAWorkerRestart() throws Exception {
    String old = newMaster();
    LiteLlmEmulator p = proxy(old, "master-b", b -> {});
    Path f = yaml("mk-b", "master-b", p, "false", "{mode: manual, deadline: 10m}");
    Cli.Result r = keyturn("rotate-master", "-f", f.toString(), "--id", "mk-b");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();

    JsonNode waiting = awaitStatus("mk-b", s -> s.path("awaitingRestart").asBoolean());
    assertThat(waiting.path("detail").asText())
        .contains("RESTART EVERY PROXY REPLICA NOW", "keyturn confirm-restart master-key/mk-b");
    String next = VaultKeys.of(bao, "master-b");
    assertThat(waiting.path("destinationsHold").asText())
        .isEqualTo(KeyMaterial.ref(next).fingerprint());
    assertThat(waiting.path("proxyRuns").asText()).isEqualTo(KeyMaterial.ref(old).fingerprint());
    // Re-encrypted, not yet restarted: the proxy cannot read its stored values.
    assertThat(p.unreadableStoredValues()).hasSize(3);

    worker.kill();
    assertThat(p.restart()).as("the operator restarts the proxy").isNull();
    worker.start();

    Cli.Result c = keyturn("confirm-restart", "master-key/mk-b");
    assertThat(c.exit()).as(c.out() + c.err()).isZero();
    JsonNode done = awaitStatus("mk-b", s -> s.path("status").asText().equals("COMPLETED"));
    assertThat(done.path("phase").asText()).isEqualTo("DONE");
    assertThat(p.unreadableStoredValues()).isEmpty();
    assertThat(status(p, "/key/list", next)).isEqualTo(200);

    Cli.Result again = keyturn("confirm-restart", "mk-b");
    assertThat(again.exit()).as("nothing waits any more").isEqualTo(1);
  }

  @Test
  void aFailedVerifyRollsBackAndTheOldKeyWorks() throws Exception {
    String old = newMaster();
    LiteLlmEmulator p = proxy(old, "master-c", b -> {});
    p.sickAfterNextRestart("db-claude");
    Path f = yaml("mk-c", "master-c", p, "false", webhook(p));
    Cli.Result r = keyturn("rotate-master", "-f", f.toString(), "--id", "mk-c", "--wait");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.err())
        .contains(
            "ROLLED BACK",
            "db-model-2",
            "the proxy runs the old key",
            "every destination holds it");
    assertThat(VaultKeys.of(bao, "master-c")).isEqualTo(old);
    assertThat(p.runningMasterKeyHash()).isEqualTo(KeyMaterial.tokenHash(old));
    assertThat(status(p, "/key/list", old)).isEqualTo(200);
    assertThat(p.unreadableStoredValues()).as("every stored model decrypts").isEmpty();
    assertThat(p.calls().stream().filter(c -> c.route().equals("/key/regenerate")).count())
        .as("re-encrypted there and back")
        .isEqualTo(2);
    Cli.Result st = keyturn("master-status", "mk-c", "--json");
    assertThat(JSON.readTree(st.out()).path("phase").asText()).isEqualTo("ROLLED_BACK");
  }

  @Test
  void aSaltKeyDeploymentIsNotReencrypted() throws Exception {
    String old = newMaster();
    LiteLlmEmulator p = proxy(old, "master-d", b -> b.saltKey("salt-" + newMaster()));
    Path f = yaml("mk-d", "master-d", p, "true", webhook(p));
    Cli.Result r = keyturn("rotate-master", "-f", f.toString(), "--id", "mk-d", "--wait");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    String next = VaultKeys.of(bao, "master-d");
    assertThat(p.runningMasterKeyHash()).isEqualTo(KeyMaterial.tokenHash(next));
    assertThat(p.calls()).noneMatch(c -> c.route().equals("/key/regenerate"));
    assertThat(p.unreadableStoredValues()).isEmpty();
  }

  @Test
  void badInputIsRefusedBeforeAnythingChanges() throws Exception {
    String old = newMaster();
    LiteLlmEmulator p = proxy(old, "master-e", b -> {});

    Cli.Result noSalt =
        keyturn(
            "rotate-master",
            "-f",
            yaml("mk-e", "master-e", p, null, webhook(p)).toString(),
            "--id",
            "mk-e");
    assertThat(noSalt.exit()).isEqualTo(2);
    assertThat(noSalt.err()).contains("masterKeys[0].saltKey", "is missing", "no default");

    Cli.Result noUrl =
        keyturn(
            "rotate-master",
            "-f",
            yaml("mk-e", "master-e", p, "false", "{mode: webhook}").toString(),
            "--id",
            "mk-e");
    assertThat(noUrl.exit()).isEqualTo(2);
    assertThat(noUrl.err()).contains("masterKeys[0].restart.url");

    Path unwritable =
        file(
            "mk-e-unwritable.yaml",
            Files.readString(yaml("mk-e", "master-e", p, "false", webhook(p)))
                .replace(
                    "name: master-e}]",
                    "name: master-e}, {type: file, path: /nonexistent-dir/master.env, format: env,"
                        + " field: LITELLM_MASTER_KEY}]"));
    Cli.Result cannotWrite =
        keyturn("rotate-master", "-f", unwritable.toString(), "--id", "mk-e", "--wait");
    assertThat(cannotWrite.exit()).as(cannotWrite.out() + cannotWrite.err()).isEqualTo(1);
    assertThat(cannotWrite.err()).contains("/nonexistent-dir", "NOTHING CHANGED");
    assertThat(VaultKeys.of(bao, "master-e")).isEqualTo(old);

    writeVault("master-e", newMaster()); // not the key the proxy runs
    Cli.Result refused =
        keyturn(
            "rotate-master",
            "-f",
            yaml("mk-e", "master-e", p, "false", webhook(p)).toString(),
            "--id",
            "mk-e",
            "--wait");
    assertThat(refused.exit()).isEqualTo(1);
    assertThat(refused.err()).contains("refused the key in", "NOTHING CHANGED");
    assertThat(p.runningMasterKeyHash()).isEqualTo(KeyMaterial.tokenHash(old));
    assertThat(p.calls()).noneMatch(c -> c.route().equals("/key/regenerate"));
    assertThat(p.liveKeys()).isEmpty();
  }

  // ------------------------------------------------------------------ helpers

  JsonNode awaitStatus(String id, java.util.function.Predicate<JsonNode> done) throws Exception {
    Instant until = Instant.now().plus(Duration.ofSeconds(120));
    JsonNode last = null;
    while (Instant.now().isBefore(until)) {
      Cli.Result r = keyturn("master-status", id, "--json");
      if (r.exit() == 0) {
        last = JSON.readTree(r.out());
        if (done.test(last)) {
          return last;
        }
      }
      Thread.sleep(500);
    }
    throw new AssertionError("master-key/" + id + " never got there; last status: " + last);
  }

  static int status(LiteLlmEmulator p, String path, String key) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(p.baseUrl() + path))
                .header("Authorization", "Bearer " + key)
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .statusCode();
  }

  static void writeVault(String name, String key) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(bao.address() + "/v1/secret/data/litellm/" + name))
                .header("X-Vault-Token", bao.rootToken())
                .POST(HttpRequest.BodyPublishers.ofString("{\"data\":{\"key\":\"" + key + "\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isIn(200, 204);
  }

  static void assertNoKeyIn(List<String> keys, String... texts) {
    for (String t : texts) {
      for (String k : keys) {
        assertThat(t).doesNotContain(k);
      }
    }
  }
}
