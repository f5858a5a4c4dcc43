package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.testkit.provider.UpstreamProvider;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Provider-key rotations end to end: the real Temporal dev server, worker process and CLI, the
 * stack's LiteLLM emulator whose stored deployments call an emulated OpenAI-compatible upstream
 * ({@link UpstreamProvider}) with their stored key, so a request through the proxy fails as soon as
 * the key its deployment holds is revoked.
 */
class ProviderKeyEndToEndTest extends OnE2eStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String ADMIN = "sk-admin-" + "e2e".repeat(8);
  private static final String PROJECT = "proj_e2e";

  static UpstreamProvider upstream;
  static Map<String, String> env;

  @BeforeAll
  static void upstreamAndWorkerWithAdminKey() throws Exception {
    upstream = new UpstreamProvider(ADMIN, PROJECT).start();
    worker.stop();
    env = new HashMap<>(stack.workerEnv);
    env.put("KEYTURN_OPENAI_ADMIN_KEY_FILE", file("openai-admin.key", ADMIN).toString());
    env.put("KEYTURN_OPENAI_ADMIN_URL", upstream.baseUrl());
    worker = new WorkerProcess(env, dir.resolve("worker-provider.log")).start();
    stack.worker = worker;
  }

  @AfterAll
  static void stopUpstream() {
    if (upstream != null) {
      upstream.close();
    }
  }

  // ------------------------------------------------------------------ helpers

  static HttpResponse<String> proxy(String method, String path, Object body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(litellm.baseUrl() + path))
            .timeout(Duration.ofSeconds(20))
            .header("Authorization", "Bearer " + master)
            .header("content-type", "application/json");
    b =
        body == null
            ? b.method(method, HttpRequest.BodyPublishers.noBody())
            : b.method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A deployment of {@code group} calling the upstream with {@code key}, as an admin adds one. */
  static String deploy(String group, String id, String key, String keyId) throws Exception {
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("id", id);
    if (keyId != null) {
      info.put("keyturn_provider_key_id", keyId);
    }
    HttpResponse<String> r =
        proxy(
            "POST",
            "/model/new",
            Map.of(
                "model_name",
                group,
                "litellm_params",
                Map.of(
                    "model", "openai/gpt-4o-mini", "api_base", upstream.apiBase(), "api_key", key),
                "model_info",
                info));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.body()).doesNotContain(key);
    return id;
  }

  static List<String> deployments(String group) throws Exception {
    JsonNode data = JSON.readTree(proxy("GET", "/model/info", null).body()).path("data");
    List<String> out = new ArrayList<>();
    for (JsonNode m : data) {
      if (group.equals(m.path("model_name").asText())) {
        out.add(m.path("model_info").path("id").asText());
      }
    }
    return out;
  }

  static int chat(String group) throws Exception {
    return proxy(
            "POST",
            "/v1/chat/completions",
            Map.of("model", group, "messages", List.of(Map.of("role", "user", "content", "hi"))))
        .statusCode();
  }

  /** A service account made the way an admin would, for the deployment a rotation replaces. */
  static String[] serviceAccountKey(String name) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(
                        upstream.baseUrl()
                            + "/v1/organization/projects/"
                            + PROJECT
                            + "/service_accounts"))
                .header("Authorization", "Bearer " + ADMIN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode n = JSON.readTree(r.body());
    return new String[] {n.path("api_key").path("value").asText(), n.path("id").asText()};
  }

  static Path yaml(String name, String entries) throws Exception {
    return file(name + ".yaml", "apiVersion: keyturn/v1\nproviderKeys:\n" + entries);
  }

  static String entry(String id, String group, String provider, String extra) {
    return "  - id: "
        + id
        + "\n    gateway: {url: "
        + litellm.baseUrl()
        + "}\n    modelGroup: "
        + group
        + "\n    provider: "
        + provider
        + "\n"
        + (provider.equals("openai") ? "    project: " + PROJECT + "\n" : "")
        + extra;
  }

  static JsonNode status(String rotation) throws Exception {
    Cli.Result r = keyturn("provider-status", rotation, "--json");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    return JSON.readTree(r.out());
  }

  static JsonNode awaitStatus(String rotation, Predicate<JsonNode> until) throws Exception {
    Instant end = Instant.now().plusSeconds(90);
    JsonNode s = null;
    while (Instant.now().isBefore(end)) {
      try {
        s = status(rotation);
        if (until.test(s)) {
          return s;
        }
      } catch (AssertionError notYet) {
        // the workflow is starting, or the worker restarting
      }
      Thread.sleep(500);
    }
    throw new AssertionError(rotation + " never reached the state; last: " + s);
  }

  // ------------------------------------------------------------------ tests

  @Test
  void automatedOpenAiRotationUnderLoadFailsNoRequest() throws Exception {
    String group = "gpt-load";
    String[] old = serviceAccountKey("hand-made-old");
    deploy(group, "old-load", old[0], old[1]);
    assertThat(chat(group)).isEqualTo(200);
    Path f = yaml("load", entry("load", group, "openai", "    overlap: 3s\n    grace: 3s\n"));

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong sent = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    List<String> failures = new ArrayList<>();
    Thread load =
        new Thread(
            () -> {
              while (!stop.get()) {
                try {
                  int s = chat(group);
                  sent.incrementAndGet();
                  if (s != 200) {
                    failed.incrementAndGet();
                    synchronized (failures) {
                      failures.add("HTTP " + s);
                    }
                  }
                  Thread.sleep(20);
                } catch (Exception e) {
                  failed.incrementAndGet();
                  synchronized (failures) {
                    failures.add(e.toString());
                  }
                }
              }
            },
            "provider-load");
    load.start();
    Cli.Result r;
    try {
      Thread.sleep(500);
      r = keyturn("rotate-provider", "-f", f.toString(), "load", "--wait", "--json");
      Thread.sleep(1000); // requests after the old key was revoked
    } finally {
      stop.set(true);
      load.join();
    }
    System.out.println(
        "PROVIDER-KEY ROTATION UNDER LOAD: "
            + sent.get()
            + " requests through the proxy, "
            + failed.get()
            + " failed "
            + failures);
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    JsonNode out = JSON.readTree(r.out());
    assertThat(out.path("outcome").asText()).isEqualTo("rotated");
    assertThat(failed.get()).as("failed requests during the rotation: " + failures).isZero();
    assertThat(sent.get()).isGreaterThan(20);
    assertThat(upstream.completions())
        .as("the requests went through the deployments to the upstream")
        .isGreaterThanOrEqualTo(sent.get());

    String next = out.path("newDeployment").asText();
    assertThat(deployments(group)).containsExactly(next);
    assertThat(upstream.isLive(old[0])).as("the old key is revoked at the provider").isFalse();
    assertThat(upstream.serviceAccounts()).doesNotContain("hand-made-old");
    assertThat(chat(group)).isEqualTo(200);
    assertThat(r.out() + r.err()).doesNotContain(old[0]);
  }

  @Test
  void manualRotationHandedItsKeyAcrossAWorkerRestart() throws Exception {
    String group = "claude-manual";
    String oldKey = upstream.issueKey();
    deploy(group, "old-manual", oldKey, null);
    Path f = yaml("manual", entry("manual", group, "manual", "    grace: 1s\n"));
    String rotation = "provider-key/" + group;

    Cli.Result r = keyturn("rotate-provider", "-f", f.toString(), "manual");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out()).contains("keyturn provide " + rotation);
    JsonNode s = awaitStatus(rotation, n -> n.path("awaitingKey").asBoolean());
    assertThat(s.path("phase").asText()).isEqualTo("AWAITING_KEY");
    assertThat(s.path("keyDeadline").asText()).isNotEmpty();

    // the worker goes away and comes back: the rotation still waits
    worker.stop();
    worker = new WorkerProcess(env, dir.resolve("worker-provider-2.log")).start();
    stack.worker = worker;

    String newKey = upstream.issueKey();
    Cli.Result p = keyturn("provide", rotation, "--key-file", file("new.key", newKey).toString());
    assertThat(p.exit()).as(p.out() + p.err()).isZero();
    assertThat(p.out() + p.err()).doesNotContain(newKey);

    s = awaitStatus(rotation, n -> n.path("awaitingRevokeConfirmation").asBoolean());
    assertThat(deployments(group)).containsExactly(s.path("newDeployment").asText());
    assertThat(chat(group)).isEqualTo(200);

    upstream.revoke(oldKey);
    Cli.Result c = keyturn("confirm-revoked", rotation);
    assertThat(c.exit()).as(c.out() + c.err()).isZero();
    s = awaitStatus(rotation, n -> n.path("phase").asText().equals("DONE"));
    assertThat(s.path("detail").asText()).contains("confirmed by");
    assertThat(chat(group)).isEqualTo(200);

    String history = client.fetchHistory(rotation).toJson(false);
    assertThat(history).doesNotContain(newKey).doesNotContain(oldKey);

    Cli.Result again =
        keyturn("provide", rotation, "--key-file", file("late.key", newKey).toString());
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("is not waiting for a key").contains("nothing sent");
  }

  @Test
  void aKeyTheProviderRefusesChangesNothingAtTheProxy() throws Exception {
    String group = "gpt-refused";
    String oldKey = upstream.issueKey();
    deploy(group, "old-refused", oldKey, null);
    Path f = yaml("refused", entry("refused", group, "manual", ""));
    String rotation = "provider-key/" + group;
    assertThat(keyturn("rotate-provider", "-f", f.toString(), "refused").exit()).isZero();
    awaitStatus(rotation, n -> n.path("awaitingKey").asBoolean());

    String notIssued = "sk-proj-never-issued-" + "x".repeat(24);
    Cli.Result p =
        keyturn("provide", rotation, "--key-file", file("bad.key", notIssued).toString());
    assertThat(p.exit()).as(p.out() + p.err()).isZero();
    JsonNode s = awaitStatus(rotation, n -> n.path("phase").asText().equals("FAILED"));
    assertThat(s.path("detail").asText())
        .contains("the provider did not accept the new key")
        .contains("Nothing changed at the proxy")
        .doesNotContain(notIssued);
    assertThat(deployments(group)).containsExactly("old-refused");
    assertThat(chat(group)).isEqualTo(200);
  }

  @Test
  void aNewDeploymentFailingItsRoutedCheckIsRolledBackAndTheOldOneServes() throws Exception {
    String group = "gpt-rollback";
    String[] old = serviceAccountKey("rollback-old");
    deploy(group, "old-rollback", old[0], old[1]);
    Path f = yaml("rollback", entry("rollback", group, "openai", "    grace: 1s\n"));
    List<String> accountsBefore = upstream.serviceAccounts();
    upstream.nextKeyBreaksAfterFirstUse(); // passes the provider check, fails through the proxy

    Cli.Result r = keyturn("rotate-provider", "-f", f.toString(), "rollback", "--wait");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.err())
        .contains("ROLLED BACK")
        .contains("did not answer through the proxy")
        .contains("was revoked at the provider")
        .contains("old deployment(s) [old-rollback] still serve");
    assertThat(deployments(group)).containsExactly("old-rollback");
    assertThat(upstream.serviceAccounts())
        .as("the new service account is deleted again")
        .isEqualTo(accountsBefore);
    assertThat(upstream.isLive(old[0])).isTrue();
    assertThat(chat(group)).isEqualTo(200);
  }

  @Test
  void badInputIsRefusedClearlyAndChangesNothing() throws Exception {
    List<String> accountsBefore = upstream.serviceAccounts();
    Path f = yaml("bad", entry("nogroup", "no-such-group", "openai", ""));
    Cli.Result r = keyturn("rotate-provider", "-f", f.toString(), "nogroup", "--wait");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.err())
        .contains("preflight failed, nothing changed")
        .contains("no stored deployment of model group 'no-such-group'");
    assertThat(upstream.serviceAccounts()).isEqualTo(accountsBefore);

    Cli.Result unknown = keyturn("rotate-provider", "-f", f.toString(), "nope");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err())
        .contains("declares no providerKeys: entry 'nope'")
        .contains("nogroup");

    Cli.Result invalid =
        keyturn(
            "rotate-provider",
            "-f",
            yaml("invalid", entry("x", "g", "anthropic", "")).toString(),
            "x");
    assertThat(invalid.exit()).isEqualTo(2);
    assertThat(invalid.out() + invalid.err()).contains("provider");

    Cli.Result noKey =
        keyturn(
            "provide",
            "provider-key/no-such-group",
            "--key-file",
            file("k", "sk-x-12345678").toString());
    assertThat(noKey.exit()).isEqualTo(1);
    // the rotation that failed its preflight above is not waiting for anything
    assertThat(noKey.err())
        .contains("is not waiting for a key (it is FAILED")
        .contains("nothing sent");
  }

  @Test
  void aProviderWithoutCredentialsOnTheWorkerIsRefusedAndChangesNothing() throws Exception {
    String group = "gpt-no-admin";
    String[] old = serviceAccountKey("no-admin-old");
    deploy(group, "old-no-admin", old[0], old[1]);
    Path f = yaml("noadmin", entry("noadmin", group, "openai", "    grace: 1s\n"));
    List<String> accountsBefore = upstream.serviceAccounts();
    // A worker with no OpenAI admin key, for this test only.
    worker.stop();
    worker = new WorkerProcess(stack.workerEnv, dir.resolve("worker-no-admin.log")).start();
    stack.worker = worker;
    try {
      Cli.Result r = keyturn("rotate-provider", "-f", f.toString(), "noadmin", "--wait");
      assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
      assertThat(r.err())
          .contains("preflight failed, nothing changed")
          .contains("KEYTURN_OPENAI_ADMIN_KEY_FILE");
      assertThat(deployments(group)).containsExactly("old-no-admin");
      assertThat(upstream.serviceAccounts()).isEqualTo(accountsBefore);
      assertThat(upstream.isLive(old[0])).isTrue();
      assertThat(chat(group)).isEqualTo(200);
    } finally {
      worker.stop();
      worker = new WorkerProcess(env, dir.resolve("worker-provider-3.log")).start();
      stack.worker = worker;
    }
  }

  @Test
  void applySchedulesTheRotationAndATriggeredRunCompletesUnderProviderKeyId() throws Exception {
    String group = "gpt-scheduled";
    String[] old = serviceAccountKey("scheduled-old");
    deploy(group, "old-scheduled", old[0], old[1]);
    Path f =
        yaml(
            "scheduled",
            entry("scheduled", group, "openai", "    grace: 1s\n    schedule: {every: 1h}\n"));
    String rotation = "provider-key/" + group;
    String scheduleId = "keyturn/" + rotation;

    Cli.Result plan = keyturn("plan", "-f", f.toString());
    assertThat(plan.exit()).as(plan.out() + plan.err()).isZero();
    assertThat(plan.out()).contains("+ create     " + scheduleId);
    Cli.Result apply = keyturn("apply", "-f", f.toString());
    assertThat(apply.exit()).as(apply.out() + apply.err()).isZero();
    assertThat(apply.out()).contains("1 created");

    var schedules = io.temporal.client.schedules.ScheduleClient.newInstance(stubs);
    try {
      schedules.getHandle(scheduleId).trigger();
      JsonNode s = awaitStatus(rotation, n -> n.path("phase").asText().equals("DONE"));
      String newDeployment = s.path("newDeployment").asText();
      assertThat(deployments(group)).containsExactly(newDeployment);
      assertThat(upstream.isLive(old[0])).as("the old key is revoked").isFalse();
      assertThat(chat(group)).isEqualTo(200);

      JsonNode listed = null;
      for (JsonNode n : JSON.readTree(keyturn("list", "--json").out()).path("providerKeys")) {
        if (n.path("workflowId").asText().equals(rotation)) {
          listed = n;
        }
      }
      assertThat(listed).as("list shows the provider key").isNotNull();
      assertThat(listed.path("scheduleId").asText()).isEqualTo(scheduleId);
      assertThat(listed.path("phase").asText()).isEqualTo("DONE");
      assertThat(listed.path("currentKey").asText()).isEqualTo(s.path("newKey").asText());

      Cli.Result history = keyturn("history", rotation, "--json");
      assertThat(history.exit()).as(history.out() + history.err()).isZero();
      JsonNode runs = JSON.readTree(history.out()).path("rotations");
      assertThat(runs).hasSize(1);
      assertThat(runs.get(0).path("status").asText()).isEqualTo("COMPLETED");
      assertThat(runs.get(0).path("newKey").asText()).isEqualTo(s.path("newKey").asText());
    } finally {
      schedules.getHandle(scheduleId).delete();
    }
  }

  @Test
  void aMasterKeyRotationIsRefusedWhileAProviderKeyRotationOfItsProxyWaitsForItsKey()
      throws Exception {
    String group = "gpt-tiers";
    String oldKey = upstream.issueKey();
    deploy(group, "old-tiers", oldKey, null);
    Path pf = yaml("tiers", entry("tiers", group, "manual", "    grace: 1s\n"));
    String rotation = "provider-key/" + group;
    assertThat(keyturn("rotate-provider", "-f", pf.toString(), "tiers").exit()).isZero();
    awaitStatus(rotation, n -> n.path("awaitingKey").asBoolean());

    // The stack's own proxy, its master key where a master-key rotation would read it.
    HttpResponse<String> w =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(bao.address() + "/v1/secret/data/litellm/tiers"))
                .header("X-Vault-Token", bao.rootToken())
                .POST(
                    HttpRequest.BodyPublishers.ofString("{\"data\":{\"key\":\"" + master + "\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(w.statusCode()).as(w.body()).isIn(200, 204);
    Path mf =
        file(
            "tiers-master.yaml",
            "apiVersion: keyturn/v1\nmasterKeys:\n  - id: tiers\n    gateway: {url: "
                + litellm.baseUrl()
                + "}\n    destinations: [{type: vault-kv2, name: tiers}]\n    saltKey: false\n"
                + "    restart: {mode: manual, deadline: 10m}\n");

    Cli.Result r = keyturn("rotate-master", "-f", mf.toString(), "--id", "tiers", "--wait");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.err())
        .containsIgnoringCase("nothing changed")
        .contains("provider-key rotation " + rotation + " is running")
        .contains("keyturn provider-status " + rotation);
    // Nothing changed: the proxy runs its master key, the destination holds it, the provider-key
    // rotation still waits, the old deployment serves.
    assertThat(VaultKeys.of(bao, "tiers")).isEqualTo(master);
    assertThat(proxy("GET", "/model/info", null).statusCode()).isEqualTo(200);
    assertThat(status(rotation).path("awaitingKey").asBoolean()).isTrue();
    assertThat(deployments(group)).containsExactly("old-tiers");
    assertThat(chat(group)).isEqualTo(200);
    assertThat(r.out() + r.err()).doesNotContain(master);

    // The provider-key rotation ends as usual.
    String newKey = upstream.issueKey();
    assertThat(
            keyturn("provide", rotation, "--key-file", file("tiers.key", newKey).toString()).exit())
        .isZero();
    awaitStatus(rotation, n -> n.path("awaitingRevokeConfirmation").asBoolean());
    assertThat(keyturn("confirm-revoked", rotation).exit()).isZero();
    awaitStatus(rotation, n -> n.path("phase").asText().equals("DONE"));
  }
}
