package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.litellm.CallRecord;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.workflows.FleetRotationWorkflow;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.FleetProgress;
import io.keyturn.workflows.model.FleetProgress.MemberState;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowNotFoundException;
import io.temporal.client.schedules.ScheduleClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code keyturn rotate-fleet} as operators run it, on the real dev server with the real worker:
 * secrets declared in a keyturn.yaml and applied as schedules, a fleet that keeps going through a
 * proxy answering 429s, a fleet stopped by its failure threshold and resumed after the cause is
 * fixed, and a fleet an operator terminated and resumed. Every rotation's outcome is checked where
 * it matters: the old key at the proxy, the new key in Vault, the new key at work.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FleetEndToEndTest extends OnE2eStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Set<String> PUBLISHED = Set.of("IN_GRACE", "SUCCEEDED");
  private static final Pattern KEY_SHAPED = Pattern.compile("sk-[A-Za-z0-9_-]{20,}");

  /** Management calls per second the proxy answers in the first test: far below the demand. */
  private static final int CAP = 4;

  /** Each secret's first key, by secret id: asserted on, never printed. */
  static final Map<String, String> firstKeys = new HashMap<>();

  /** Keys the rotations published, read back from Vault: asserted on, never printed. */
  static final Set<String> newKeys = new HashSet<>();

  /** Each secret's KV mount, by secret id. */
  static final Map<String, String> mounts = new HashMap<>();

  @Test
  @Order(1)
  void aFleetUnderATight429CapFinishesWithNoFailedRotation() throws Exception {
    List<String> ids = secretIds("cap-", 10);
    applySecrets("cap", ids, id -> "secret", "2s");

    // 10 rotations make ~60 management calls (/key/info, /key/generate, /key/delete); 6 rotations
    // at once ask for far more than CAP a second, so the proxy turns many away with 429 and
    // retry-after: every rotation must wait its turn instead of failing.
    Instant from = Instant.now();
    litellm.faults().managementRateCap(CAP);
    Cli.Result r;
    try {
      r =
          keyturn(
              "rotate-fleet",
              "--selector",
              "all",
              "--concurrency",
              "6",
              "--canary",
              "1",
              "--fleet-id",
              "capped",
              "--wait",
              "--json");
      assertNoKeyIn(r);
      assertThat(r.exit()).as(r.out() + r.err()).isZero();
      JsonNode p = JSON.readTree(r.out());
      assertThat(p.path("state").asText()).isEqualTo("COMPLETED");
      assertThat(p.path("total").asInt()).isEqualTo(ids.size());
      assertThat(p.path("failed").asInt()).isZero();
      assertThat(states(p).keySet()).containsExactlyElementsOf(ids);
      assertThat(states(p).values()).allMatch(PUBLISHED::contains);

      // Revoking the old keys after grace goes through the same cap.
      awaitCompleted(ids, "capped");
    } finally {
      litellm.faults().managementRateCap(0);
    }
    List<CallRecord> capped =
        litellm.calls().stream()
            .filter(c -> "CAP".equals(c.injected()) && !c.at().isBefore(from))
            .toList();
    long management =
        litellm.calls().stream()
            .filter(c -> !c.at().isBefore(from) && c.route().startsWith("/key/"))
            .count();
    System.out.printf(
        "fleet under a cap of %d/s: %d of %d management calls answered 429, %d ms%n",
        CAP, capped.size(), management, Duration.between(from, Instant.now()).toMillis());
    assertThat(capped).as("429s the proxy answered during the fleet").isNotEmpty();
    assertThat(capped).allMatch(c -> c.status() == 429 && c.route().startsWith("/key/"));

    for (String id : ids) {
      assertRotatedOnce(id, "capped");
    }

    // Once the fleet's rotations have revoked their old keys, fleet-status and list say so.
    Cli.Result status = keyturn("fleet-status", "capped", "--json");
    assertNoKeyIn(status);
    assertThat(status.exit()).as(status.err()).isZero();
    JsonNode s = JSON.readTree(status.out());
    assertThat(s.path("state").asText()).isEqualTo("COMPLETED");
    assertThat(s.path("succeeded").asInt()).isEqualTo(ids.size());
    assertThat(s.path("inGrace").asInt()).isZero();
    assertThat(states(s).values()).containsOnly("SUCCEEDED");
    Cli.Result list = keyturn("list", "--json");
    assertNoKeyIn(list);
    assertThat(list.exit()).as(list.err()).isZero();
    Map<String, JsonNode> rows = new HashMap<>();
    JSON.readTree(list.out())
        .path("secrets")
        .forEach(row -> rows.put(row.path("secretId").asText(), row));
    for (String id : ids) {
      RotationResult done =
          client.newUntypedWorkflowStub(child(id, "capped")).getResult(RotationResult.class);
      assertThat(rows.get(id).path("currentKey").asText())
          .as(id + "'s current key in list")
          .startsWith(done.newKey().fingerprint())
          .doesNotContain(done.oldKey().fingerprint());
      assertThat(rows.get(id).path("lastOutcome").asText()).isEqualTo("COMPLETED");
    }
    assertNoKeyIn("the worker's log", worker.log());
  }

  @Test
  @Order(2)
  void aFleetStoppedByItsFailureThresholdResumesAndRotatesOnlyWhatIsLeft() throws Exception {
    List<String> ids = secretIds("stop-", 6);
    // stop-03 and stop-04 publish to a KV mount that does not exist yet: the worker cannot write
    // there, so their rotations fail (and roll back) every time until the mount is created.
    Set<String> broken = Set.of("stop-03", "stop-04");
    applySecrets("stop", ids, id -> broken.contains(id) ? "kv-team-b" : "secret", "2s");

    // Canary stop-01, then wave 2 = stop-02..04 with 2 of 3 failing: above 0.5, the fleet stops.
    String[] fleet = {
      "rotate-fleet",
      "--selector",
      "id-prefix=stop-",
      "--concurrency",
      "3",
      "--canary",
      "1",
      "--max-failure-ratio",
      "0.5",
      "--fleet-id",
      "stop",
      "--wait",
      "--json"
    };
    Cli.Result first = keyturn(fleet);
    assertNoKeyIn(first);
    assertThat(first.exit()).as(first.out() + first.err()).isEqualTo(1);
    JsonNode p = JSON.readTree(first.out());
    assertThat(p.path("state").asText()).isEqualTo("STOPPED");
    assertThat(p.path("wave").asInt()).isEqualTo(2);
    assertThat(p.path("message").asText()).contains("stop-03").contains("stop-04");
    Map<String, String> states = states(p);
    assertThat(states.get("stop-01")).isIn(PUBLISHED);
    assertThat(states.get("stop-02")).isIn(PUBLISHED);
    assertThat(states.get("stop-03")).isEqualTo("FAILED");
    assertThat(states.get("stop-04")).isEqualTo("FAILED");
    assertThat(states.get("stop-05")).isEqualTo("PENDING");
    assertThat(states.get("stop-06")).isEqualTo("PENDING");
    assertThat(details(p).get("stop-03")).contains("kv-team-b");

    Cli.Result status = keyturn("fleet-status", "stop");
    assertNoKeyIn(status);
    assertThat(status.exit()).as(status.err()).isZero();
    assertThat(status.out())
        .contains("STOPPED")
        .containsPattern("stop-03 +FAILED +rotation/stop-03/fleet-stop")
        .containsPattern("stop-04 +FAILED")
        .containsPattern("stop-05 +PENDING")
        .containsPattern("stop-06 +PENDING")
        .contains("keyturn rotate-fleet --fleet-id stop");
    Cli.Result statusJson = keyturn("fleet-status", "fleet/stop", "--json");
    assertThat(statusJson.exit()).as(statusJson.err()).isZero();
    // The same states, but a member left in grace may have completed since the fleet stopped.
    Map<String, String> now = states(JSON.readTree(statusJson.out()));
    assertThat(now.keySet()).containsExactlyElementsOf(states.keySet());
    states.forEach(
        (id, then) ->
            assertThat(now.get(id))
                .as(id)
                .isIn(then.equals("IN_GRACE") ? PUBLISHED : Set.of(then)));
    // Nothing of stop-03 or stop-04 survived: their new keys were deleted, old keys still work.
    for (String id : broken) {
      assertThat(minted(id, true)).as("live keys minted for " + id).isEmpty();
      assertThat(works(firstKeys.get(id))).as(id + "'s old key still works").isTrue();
    }

    // The operator creates the mount and runs the same command again.
    enableKv2("kv-team-b");
    Cli.Result resumed = keyturn(fleet);
    assertNoKeyIn(resumed);
    assertThat(resumed.exit()).as(resumed.out() + resumed.err()).isZero();
    JsonNode q = JSON.readTree(resumed.out());
    assertThat(q.path("state").asText()).isEqualTo("COMPLETED");
    assertThat(q.path("failed").asInt()).isZero();
    Map<String, String> after = states(q);
    assertThat(after.get("stop-01")).isEqualTo("SKIPPED");
    assertThat(after.get("stop-02")).isEqualTo("SKIPPED");
    for (String id : List.of("stop-03", "stop-04", "stop-05", "stop-06")) {
      assertThat(after.get(id)).as(id).isIn(PUBLISHED);
    }

    awaitCompleted(ids, "stop");
    for (String id : ids) {
      assertRotatedOnce(id, "stop");
    }
    // stop-01 and stop-02 were not rotated a second time: one key ever minted for each.
    assertThat(minted("stop-01", false)).hasSize(1);
    assertThat(minted("stop-02", false)).hasSize(1);
    assertNoKeyIn("the worker's log", worker.log());
  }

  @Test
  @Order(3)
  void aTerminatedFleetLeavesItsRotationsToFinishAndResumes() throws Exception {
    List<String> ids = secretIds("term-", 6);
    applySecrets("term", ids, id -> "secret", "3s");
    String[] fleet = {
      "rotate-fleet",
      "--selector",
      "id-prefix=term-",
      "--concurrency",
      "2",
      "--canary",
      "1",
      "--fleet-id",
      "term",
      "--json"
    };
    // Slower mints keep the fleet mid-way long enough to be caught there.
    litellm.faults().latency("/key/generate", Duration.ofMillis(300));
    Cli.Result started;
    try {
      started = keyturn(fleet);
      assertThat(started.exit()).as(started.out() + started.err()).isZero();
      FleetRotationWorkflow f = client.newWorkflowStub(FleetRotationWorkflow.class, "fleet/term");
      Instant deadline = Instant.now().plusSeconds(60);
      FleetProgress p = f.progress();
      while (!(p.wave() >= 2 && p.running() + p.inGrace() > 0 && pendingIn(p) > 0)) {
        assertThat(Instant.now()).as("fleet mid-way: " + p).isBefore(deadline);
        Thread.sleep(100);
        p = f.progress();
      }
      client.newUntypedWorkflowStub("fleet/term").terminate("operator stop (test)");
    } finally {
      litellm.faults().clear();
    }

    List<String> startedBefore = new ArrayList<>();
    List<String> notStarted = new ArrayList<>();
    for (String id : ids) {
      (exists(child(id, "term")) ? startedBefore : notStarted).add(id);
    }
    assertThat(startedBefore).as("rotations the fleet had started").isNotEmpty();
    assertThat(notStarted).as("members left pending").isNotEmpty();
    // Abandoned by the terminated fleet, they finish on their own: grace, then revoke.
    awaitCompleted(startedBefore, "term");
    for (String id : startedBefore) {
      assertRotatedOnce(id, "term");
    }

    Cli.Result resumed = keyturn(withWait(fleet));
    assertNoKeyIn(resumed);
    assertThat(resumed.exit()).as(resumed.out() + resumed.err()).isZero();
    JsonNode q = JSON.readTree(resumed.out());
    assertThat(q.path("state").asText()).isEqualTo("COMPLETED");
    Map<String, String> after = states(q);
    for (String id : startedBefore) {
      assertThat(after.get(id)).as(id).isEqualTo("SKIPPED");
    }
    for (String id : notStarted) {
      assertThat(after.get(id)).as(id).isIn(PUBLISHED);
    }
    awaitCompleted(ids, "term");
    for (String id : ids) {
      assertRotatedOnce(id, "term");
      assertThat(minted(id, false)).as("keys ever minted for " + id).hasSize(1);
    }
    assertNoKeyIn("the worker's log", worker.log());
  }

  // ------------------------------------------------------------------ helpers

  private static String[] withWait(String[] args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--wait");
    return all.toArray(String[]::new);
  }

  private static int pendingIn(FleetProgress p) {
    return p.secretIds(MemberState.PENDING).size();
  }

  private static List<String> secretIds(String prefix, int n) {
    return IntStream.rangeClosed(1, n).mapToObj(i -> prefix + "%02d".formatted(i)).toList();
  }

  /**
   * Mints each secret's first key at the proxy, declares the secrets in one keyturn.yaml (the
   * schedules every 30 days: none fires during the test) and applies it; returns when rotate-fleet
   * can list every schedule (Temporal's visibility store lags a little).
   */
  private static void applySecrets(
      String name, List<String> ids, Function<String, String> mount, String grace)
      throws Exception {
    StringBuilder yaml = new StringBuilder("apiVersion: keyturn/v1\nsecrets:\n");
    for (String id : ids) {
      String key = litellm.createKey(Map.of("key_alias", id, "models", List.of("gpt-4o-mini")));
      firstKeys.put(id, key);
      mounts.put(id, mount.apply(id));
      file(id + ".key", key);
      yaml.append(
          """
            - id: %s
              gateway:
                url: %s
                managementKey: {env: LITELLM_MASTER_KEY}
              currentKey: {file: %s.key}
              destinations:
                - type: vault-kv2
                  mount: %s
                  name: %s
              schedule:
                every: 30d
              grace: %s
          """
              .formatted(id, litellm.baseUrl(), id, mount.apply(id), id, grace));
    }
    // apply checks each destination with the worker and refuses one it cannot use; a test that
    // breaks destinations on purpose (to make rotations fail) applies past that check.
    boolean broken = ids.stream().anyMatch(id -> !"secret".equals(mount.apply(id)));
    String f = file(name + ".yaml", yaml.toString()).toString();
    Cli.Result apply =
        broken ? keyturn("apply", "-f", f, "--skip-checks") : keyturn("apply", "-f", f);
    assertNoKeyIn(apply);
    assertThat(apply.exit()).as(apply.out() + apply.err()).isZero();
    Instant deadline = Instant.now().plusSeconds(30);
    Set<String> want = new HashSet<>();
    ids.forEach(id -> want.add("keyturn/" + id));
    while (!scheduleIds().containsAll(want)) {
      assertThat(Instant.now()).as("schedules listed").isBefore(deadline);
      Thread.sleep(200);
    }
  }

  private static Set<String> scheduleIds() {
    Set<String> ids = new HashSet<>();
    ScheduleClient.newInstance(stubs).listSchedules().forEach(s -> ids.add(s.getScheduleId()));
    return ids;
  }

  private static String child(String id, String fleetId) {
    return FleetRotationWorkflow.childWorkflowId(id, FleetRotationWorkflow.workflowId(fleetId));
  }

  private static boolean exists(String workflowId) {
    try {
      client.newUntypedWorkflowStub(workflowId).describe();
      return true;
    } catch (WorkflowNotFoundException e) {
      return false;
    }
  }

  private static WorkflowExecutionStatus status(String workflowId) {
    return client.newUntypedWorkflowStub(workflowId).describe().getStatus();
  }

  /** Waits until each member's fleet rotation has closed, and asserts it completed. */
  private static void awaitCompleted(List<String> ids, String fleetId) throws Exception {
    Instant deadline = Instant.now().plusSeconds(90);
    for (String id : ids) {
      String wf = child(id, fleetId);
      while (status(wf) == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        assertThat(Instant.now()).as(wf + " closes").isBefore(deadline);
        Thread.sleep(200);
      }
      assertThat(status(wf))
          .as(wf)
          .isEqualTo(WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);
    }
  }

  /**
   * The secret's fleet rotation replaced its first key: that key is deleted at the proxy and
   * refused, Vault holds the new key, the new key works, and it is the only live key Keyturn minted
   * for the secret.
   */
  private static void assertRotatedOnce(String id, String fleetId) throws Exception {
    RotationResult r =
        client.newUntypedWorkflowStub(child(id, fleetId)).getResult(RotationResult.class);
    String first = firstKeys.get(id);
    assertThat(r.oldKey().tokenHash()).as(id + " old key").isEqualTo(KeyMaterial.tokenHash(first));
    assertThat(litellm.liveKeys().stream().map(EmulatedKey::tokenHash))
        .as(id + "'s old key is deleted")
        .doesNotContain(r.oldKey().tokenHash());
    assertThat(litellm.deletedKeys().stream().map(EmulatedKey::tokenHash))
        .contains(r.oldKey().tokenHash());
    assertThat(works(first)).as(id + "'s old key is refused").isFalse();
    String published = VaultKeys.of(bao, mounts.get(id), id);
    newKeys.add(published);
    assertThat(KeyMaterial.tokenHash(published))
        .as(id + " in Vault")
        .isEqualTo(r.newKey().tokenHash());
    assertThat(works(published)).as(id + "'s new key works").isTrue();
    assertThat(minted(id, true))
        .as("live keys minted for " + id)
        .containsExactly(r.newKey().tokenHash());
  }

  /** Hashes of the keys Keyturn minted for a secret (alias keyturn-<id>-g...): live or all. */
  private static List<String> minted(String id, boolean liveOnly) {
    List<EmulatedKey> keys = new ArrayList<>(litellm.liveKeys());
    if (!liveOnly) {
      keys.addAll(litellm.deletedKeys());
    }
    return keys.stream()
        .filter(k -> k.keyAlias() != null && k.keyAlias().startsWith("keyturn-" + id + "-g"))
        .map(EmulatedKey::tokenHash)
        .toList();
  }

  /** Whether the proxy accepts the key as a bearer (/v1/models, not a management route). */
  private static boolean works(String key) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(litellm.baseUrl() + "/v1/models"))
                .header("Authorization", "Bearer " + key)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200;
  }

  private static void enableKv2(String mount) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(bao.address() + "/v1/sys/mounts/" + mount))
                .header("X-Vault-Token", bao.rootToken())
                .POST(
                    HttpRequest.BodyPublishers.ofString(
                        "{\"type\":\"kv\",\"options\":{\"version\":\"2\"}}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 204);
  }

  /** Member states by secret id, in the fleet's order. */
  private static Map<String, String> states(JsonNode progress) {
    return byMember(progress, "state", new LinkedHashMap<>());
  }

  private static Map<String, String> details(JsonNode progress) {
    return byMember(progress, "detail", new TreeMap<>());
  }

  /** Puts each member's {@code field} into {@code m} by secret id. */
  private static Map<String, String> byMember(
      JsonNode progress, String field, Map<String, String> m) {
    progress
        .path("members")
        .forEach(x -> m.put(x.path("secretId").asText(), x.path(field).asText()));
    return m;
  }

  /** No output of the CLI carries a key value (the first keys, or any new key in Vault). */
  private static void assertNoKeyIn(Cli.Result r) {
    assertNoKeyIn("keyturn's output", r.out() + r.err());
  }

  private static void assertNoKeyIn(String what, String text) {
    for (String key : firstKeys.values()) {
      assertThat(text.contains(key)).as(what + " holds a first key").isFalse();
    }
    for (String key : newKeys) {
      assertThat(text.contains(key)).as(what + " holds a new key").isFalse();
    }
    // Anything shaped like a key: reported by position only, so a failure prints no key either.
    Matcher m = KEY_SHAPED.matcher(text);
    int at = m.find() ? m.start() : -1;
    assertThat(at).as(what + " holds something shaped like a key at offset " + at).isEqualTo(-1);
  }
}
