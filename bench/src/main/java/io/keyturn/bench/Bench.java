package io.keyturn.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.workflows.FleetRotationWorkflow;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.FleetProgress;
import io.keyturn.workflows.model.FleetProgress.MemberState;
import io.keyturn.workflows.model.FleetRequest;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.history.v1.History;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Keyturn's benchmarks, on this machine, against the real Temporal dev server (SQLite), real
 * OpenBao, the real worker process and the LiteLLM emulator. Writes bench/RESULTS.md. Run with
 * {@code scripts/bench.sh [--single N] [--parked N]}.
 *
 * <ol>
 *   <li>single rotation (grace 0): start to revoke, median and p95 over N runs, next to the same
 *       HTTP calls made directly by a plain loop in the same run;
 *   <li>a fleet of N keys under management caps C: rotations/s and management calls served per
 *       second against C, and failed rotations (must be 0);
 *   <li>N rotations parked in their grace period: the worker's resident memory and CPU while they
 *       sleep, and the dev server's database bytes per rotation;
 *   <li>history events and bytes per rotation.
 * </ol>
 */
public final class Bench {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Path dir;
  private final int single;
  private final int parked;
  private final Path out;
  private final Map<String, String> pragmas;
  private final List<String> report = new ArrayList<>();

  private LocalStack stack;

  private int fleet = 1000;
  private List<Integer> caps = List.of(25, 50, 100);
  private int fleetConcurrency = 50;
  private String pacing = "adaptive";

  /** Delays the emulator adds to every answer in measurement 1, one run of it per value. */
  private List<Integer> latenciesMs = List.of(0, 20);

  /** Dev server dynamic config values ({@code --dynamic-config-value}), as given. */
  private Map<String, String> dynamicConfig = new LinkedHashMap<>();

  /** Worker settings on top of the stack's own (e.g. KEYTURN_... tuning), as given. */
  private Map<String, String> workerEnv = new LinkedHashMap<>();

  Bench(Path dir, int single, int parked, Path out, Map<String, String> pragmas) {
    this.pragmas = pragmas;
    this.dir = dir;
    this.single = single;
    this.parked = parked;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    int single = 30;
    int parked = 10_000;
    Path out = Path.of("bench/RESULTS.md");
    Map<String, String> pragmas = new LinkedHashMap<>();
    int fleet = 1000;
    List<Integer> caps = List.of(25, 50, 100);
    int fleetConcurrency = 50;
    String pacing = "adaptive";
    List<Integer> latencies = List.of(0, 20);
    Map<String, String> dynamic = new LinkedHashMap<>();
    Map<String, String> workerEnv = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--single" -> single = Integer.parseInt(args[++i]);
        case "--parked" -> parked = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        case "--fleet" -> fleet = Integer.parseInt(args[++i]);
        case "--caps" ->
            caps = java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
        case "--fleet-concurrency" -> fleetConcurrency = Integer.parseInt(args[++i]);
        case "--pacing" -> pacing = args[++i];
        case "--sqlite-pragma" -> {
          String[] kv = args[++i].split("=", 2);
          pragmas.put(kv[0], kv[1]);
        }
        case "--latency-ms" ->
            latencies =
                java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
        case "--dynamic-config" -> {
          String[] kv = args[++i].split("=", 2);
          dynamic.put(kv[0], kv[1]);
        }
        case "--worker-env" -> {
          String[] kv = args[++i].split("=", 2);
          workerEnv.put(kv[0], kv[1]);
        }
        default -> {
          System.err.println(
              "usage: bench [--single N] [--parked N] [--fleet N] [--caps C1,C2,..]"
                  + " [--fleet-concurrency N] [--pacing adaptive|off] [--sqlite-pragma K=V]"
                  + " [--latency-ms L1,L2,..] [--dynamic-config K=JSON] [--worker-env K=V]"
                  + " [--out FILE]");
          System.exit(2);
        }
      }
    }
    Path dir = Files.createTempDirectory("keyturn-bench");
    Bench b = new Bench(dir, single, parked, out, pragmas);
    b.fleet = fleet;
    b.caps = caps;
    b.fleetConcurrency = fleetConcurrency;
    b.pacing = pacing;
    if (latencies.isEmpty() || latencies.stream().anyMatch(l -> l < 0)) {
      System.err.println("--latency-ms takes milliseconds >= 0, e.g. 0,20");
      System.exit(2);
    }
    b.latenciesMs = latencies;
    b.dynamicConfig = dynamic;
    b.workerEnv = workerEnv;
    try {
      b.start();
      b.run();
    } finally {
      b.stop();
    }
  }

  void start() throws Exception {
    // No heap limit on the worker: measurement 3 reports its resident memory as users run it.
    Map<String, String> env = new LinkedHashMap<>(workerEnv);
    env.putIfAbsent("KEYTURN_LITELLM_PACING", pacing);
    stack = LocalStack.start(dir, pragmas, dynamicConfig, env, List.of());
  }

  void stop() {
    if (stack != null) {
      stack.close();
    }
  }

  void run() throws Exception {
    String machine =
        Runtime.getRuntime().availableProcessors()
            + " cores, "
            + (Runtime.getRuntime().maxMemory() / (1024 * 1024))
            + " MiB max heap (bench JVM), Java "
            + System.getProperty("java.version");
    report.add("# Keyturn benchmark results");
    report.add("");
    report.add(
        "Measured "
            + Instant.now().toString().substring(0, 19)
            + "Z on this machine ("
            + machine
            + ") against the real Temporal dev server (SQLite file), real OpenBao, the real worker"
            + " process ("
            + (workerEnv.isEmpty() ? "default settings" : "settings " + workerEnv)
            + ") and the in-process LiteLLM emulator (latency only where measurement 1 says;"
            + " no cap except in measurement 2)"
            + (pragmas.isEmpty() ? "" : ", dev server SQLite pragmas " + pragmas)
            + (dynamicConfig.isEmpty() ? "" : ", dev server dynamic config " + dynamicConfig)
            + ". Reproduce everything: `scripts/bench.sh --single "
            + single
            + " --parked "
            + parked
            + " --fleet "
            + fleet
            + " --caps "
            + capsArg()
            + " --fleet-concurrency "
            + fleetConcurrency
            + (pacing.equals("adaptive") ? "" : " --pacing " + pacing)
            + extraArgs()
            + "`.");
    report.add("");
    report.add("Load average at the start (1, 5, 15 min): " + loadAverage() + ".");
    report.add("");
    if (single > 0) {
      List<String> ids = null;
      for (int latency : latenciesMs) {
        stack.litellm.faults().latency("*", Duration.ofMillis(latency));
        List<String> run = singleRotations(latency);
        ids = ids == null ? run : ids;
      }
      stack.litellm.faults().latency("*", Duration.ZERO);
      historySizes(ids);
    } else {
      report.add("## 1. One rotation and 4. history per rotation");
      report.add("");
      report.add("Not run (`--single 0`).");
      report.add("");
    }
    fleetsUnderCaps();
    parkedRotations();
    report.add(
        "Load average at the end of the run (1, 5, 15 min; other processes on this 2-core machine"
            + " count too): "
            + loadAverage()
            + ".");
    report.add("");
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.writeString(out, String.join("\n", report) + "\n");
    System.out.println(String.join("\n", report));
  }

  private String capsArg() {
    return String.join(",", caps.stream().map(String::valueOf).toList());
  }

  private String pragmaArgs() {
    StringBuilder b = new StringBuilder();
    pragmas.forEach((k, v) -> b.append(" --sqlite-pragma ").append(k).append('=').append(v));
    return b.toString();
  }

  /** The options that shape the stack beyond the pragmas: dynamic config and worker settings. */
  private String extraArgs() {
    StringBuilder b = new StringBuilder(pragmaArgs());
    dynamicConfig.forEach((k, v) -> b.append(" --dynamic-config ").append(k).append('=').append(v));
    workerEnv.forEach((k, v) -> b.append(" --worker-env ").append(k).append('=').append(v));
    return b.toString();
  }

  private static String loadAverage() throws IOException {
    return Files.readString(Path.of("/proc/loadavg")).trim().split(" 0*[0-9]+/")[0];
  }

  // ------------------------------------------------------------------ 1. single rotation

  private RotationRequest request(String app, String raw, Duration grace) {
    return RotationRequest.builder(app)
        .generation(1)
        .gatewayUrl(stack.litellm.baseUrl())
        .oldKey(KeyMaterial.ref(raw))
        .destinations(new Destination("vault-kv2", Map.of("name", app)))
        .gracePeriod(grace)
        .requestedBy("bench")
        .build();
  }

  private List<String> singleRotations(int latencyMs) throws Exception {
    String tag = "l" + latencyMs + "-";
    // Warm-up: the first rotations pay for JIT and connection set-up on every side.
    for (int i = 0; i < 5; i++) {
      rotateOnce("warm-" + tag + i);
      rawCalls("rawwarm-" + tag + i);
    }
    List<Double> rotation = new ArrayList<>();
    List<Double> raw = new ArrayList<>();
    List<String> ids = new ArrayList<>();
    // Interleaved, one rotation then one raw loop: load from other processes on this shared
    // machine falls on both sides alike.
    for (int i = 0; i < single; i++) {
      long t0 = System.nanoTime();
      ids.add(rotateOnce("single-" + tag + i));
      rotation.add((System.nanoTime() - t0) / 1e6);
      long t1 = System.nanoTime();
      rawCalls("raw-" + tag + i);
      raw.add((System.nanoTime() - t1) / 1e6);
    }
    double rm = pct(rotation, 50);
    double hm = pct(raw, 50);
    report.add(
        "## 1. One rotation, grace 0, start to revoke"
            + (latencyMs == 0
                ? " (emulator answers at once)"
                : " (emulator answers every call after " + latencyMs + " ms)"));
    report.add("");
    report.add("| | median | p95 | runs |");
    report.add("|---|---|---|---|");
    report.add(
        String.format(
            Locale.ROOT,
            "| Keyturn rotation (workflow start to result) | %.1f ms | %.1f ms | %d |",
            rm,
            pct(rotation, 95),
            single));
    report.add(
        String.format(
            Locale.ROOT,
            "| the same %d HTTP calls, made directly in a loop | %.1f ms | %.1f ms | %d |",
            RAW_CALLS,
            hm,
            pct(raw, 95),
            single));
    report.add("");
    report.add(
        String.format(
            Locale.ROOT,
            "Orchestration overhead at %d ms: %.2fx the raw calls (%.1f ms per rotation). The"
                + " raw loop makes the same HTTP calls with none of the durability: every"
                + " workflow task and activity task of the rotation is a round trip through the"
                + " Temporal server and its SQLite file. Load average after: %s. Reproduce:"
                + " `scripts/bench.sh --single %d --parked 0 --fleet 0 --latency-ms %d%s`.",
            latencyMs,
            rm / hm,
            rm - hm,
            loadAverage(),
            single,
            latencyMs,
            extraArgs()));
    report.add("");
    return ids;
  }

  private String rotateOnce(String app) {
    String raw =
        stack.litellm.createKey(Map.of("key_alias", app, "models", List.of("gpt-4o-mini")));
    RotationRequest req = request(app, raw, Duration.ZERO);
    KeyRotationWorkflow wf =
        stack.client.newWorkflowStub(
            KeyRotationWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(req.workflowId())
                .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                .build());
    wf.rotate(req);
    return req.workflowId();
  }

  static final int RAW_CALLS = 13;

  /**
   * The HTTP calls one {@code KeyRotationWorkflow} run makes against the proxy and Vault, in the
   * order its activities make them (import the policy, mint, confirm, verify, publish, revoke,
   * confirm the revoke, check readiness), made directly with no Temporal in between.
   */
  private void rawCalls(String app) throws Exception {
    String old =
        stack.litellm.createKey(Map.of("key_alias", app, "models", List.of("gpt-4o-mini")));
    String oldHash = KeyMaterial.tokenHash(old);
    String lit = stack.litellm.baseUrl();
    String mk = "Bearer " + stack.master;
    call("GET", lit + "/key/info?key=" + oldHash, mk, null, null); // import policy
    String newKey = "sk-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "");
    String newHash = KeyMaterial.tokenHash(newKey);
    call(
        "POST",
        lit + "/key/generate",
        mk,
        JSON.writeValueAsString(
            Map.of("key", newKey, "key_alias", "raw-" + app, "models", List.of("gpt-4o-mini"))),
        null);
    call("GET", lit + "/key/info?key=" + newHash, mk, null, null); // confirm own
    call("GET", lit + "/v1/models", "Bearer " + newKey, null, null); // verify
    call("GET", lit + "/key/info?key=" + newHash, mk, null, null);
    String v = stack.bao.address() + "/v1/secret/data/litellm/" + app;
    String token = stack.bao.rootToken();
    call("GET", v, null, null, token); // publish: read
    call("POST", v, null, JSON.writeValueAsString(Map.of("data", Map.of("key", newKey))), token);
    call(
        "POST",
        stack.bao.address() + "/v1/secret/metadata/litellm/" + app,
        null,
        JSON.writeValueAsString(Map.of("custom_metadata", Map.of("keyturn_alias", "raw"))),
        token);
    call("GET", v, null, null, token); // read back
    call(
        "POST",
        lit + "/key/delete",
        mk,
        JSON.writeValueAsString(Map.of("keys", List.of(oldHash))),
        null); // revoke
    call("GET", lit + "/key/info?key=" + oldHash, mk, null, null);
    call("GET", lit + "/v1/models", "Bearer " + old, null, null);
    call("GET", lit + "/health/readiness", null, null, null);
  }

  private static void call(String method, String url, String auth, String body, String vault)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    if (vault != null) {
      b.header("X-Vault-Token", vault);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  // ------------------------------------------------------------------ 4. history size

  private void historySizes(List<String> ids) {
    List<Double> events = new ArrayList<>();
    List<Double> bytes = new ArrayList<>();
    List<Double> payload = new ArrayList<>();
    List<Double> actRun = new ArrayList<>();
    List<Double> actWait = new ArrayList<>();
    List<Double> wfTask = new ArrayList<>();
    Map<String, List<Double>> kinds = new LinkedHashMap<>();
    for (String id : ids) {
      History h = stack.client.fetchHistory(id).getHistory();
      Map<Long, Long> at = new java.util.HashMap<>();
      double run = 0;
      double wait = 0;
      double task = 0;
      Map<String, Double> count = new LinkedHashMap<>();
      for (HistoryEvent e : h.getEventsList()) {
        String kind =
            e.hasWorkflowTaskScheduledEventAttributes()
                ? "workflow tasks"
                : e.hasActivityTaskScheduledEventAttributes()
                    ? "activity tasks"
                    : e.hasMarkerRecordedEventAttributes()
                        ? "local activities (markers)"
                        : e.hasUpsertWorkflowSearchAttributesEventAttributes()
                            ? "search attribute upserts"
                            : e.hasTimerStartedEventAttributes() ? "timers" : null;
        if (kind != null) {
          count.merge(kind, 1.0, Double::sum);
        }
        long t = e.getEventTime().getSeconds() * 1000 + e.getEventTime().getNanos() / 1_000_000;
        at.put(e.getEventId(), t);
        if (e.hasActivityTaskStartedEventAttributes()) {
          wait += t - at.get(e.getActivityTaskStartedEventAttributes().getScheduledEventId());
        } else if (e.hasActivityTaskCompletedEventAttributes()) {
          run += t - at.get(e.getActivityTaskCompletedEventAttributes().getStartedEventId());
        } else if (e.hasWorkflowTaskCompletedEventAttributes()) {
          task += t - at.get(e.getWorkflowTaskCompletedEventAttributes().getScheduledEventId());
        }
      }
      for (String k :
          List.of(
              "workflow tasks",
              "activity tasks",
              "local activities (markers)",
              "search attribute upserts",
              "timers")) {
        kinds.computeIfAbsent(k, x -> new ArrayList<>()).add(count.getOrDefault(k, 0.0));
      }
      actRun.add(run);
      actWait.add(wait);
      wfTask.add(task);
      events.add((double) h.getEventsCount());
      bytes.add((double) h.getSerializedSize());
      long p = 0;
      for (HistoryEvent e : h.getEventsList()) {
        p += payloadBytes(e);
      }
      payload.add((double) p);
    }
    report.add(
        "Where a rotation's time goes (medians over the same runs, from history timestamps):");
    report.add("");
    report.add("| | ms |");
    report.add("|---|---|");
    report.add(
        String.format(
            Locale.ROOT, "| activities executing (the HTTP calls) | %.0f |", pct(actRun, 50)));
    report.add(
        String.format(
            Locale.ROOT,
            "| activities waiting to be picked up (schedule to start) | %.0f |",
            pct(actWait, 50)));
    report.add(
        String.format(
            Locale.ROOT,
            "| workflow tasks (schedule to completed; local activities run inside them) | %.0f |",
            pct(wfTask, 50)));
    report.add("");
    report.add("What one rotation's history holds (medians):");
    report.add("");
    report.add("| | per rotation |");
    report.add("|---|---|");
    kinds.forEach((k, v) -> report.add(String.format(Locale.ROOT, "| %s | %.0f |", k, pct(v, 50))));
    report.add("");
    report.add("## 4. History per rotation (grace 0, one Vault destination)");
    report.add("");
    report.add("| | median | max |");
    report.add("|---|---|---|");
    report.add(
        String.format(
            Locale.ROOT, "| events | %.0f | %.0f |", pct(events, 50), Collections.max(events)));
    report.add(
        String.format(
            Locale.ROOT,
            "| history bytes (serialized) | %.0f | %.0f |",
            pct(bytes, 50),
            Collections.max(bytes)));
    report.add(
        String.format(
            Locale.ROOT,
            "| of which payload bytes | %.0f | %.0f |",
            pct(payload, 50),
            Collections.max(payload)));
    report.add("");
    report.add(
        "Bounded by design: a rotation is a fixed sequence of steps (counted above), and"
            + " every payload is a reference (token hash, fingerprint, sealed old key), never a"
            + " list that grows. A grace period of weeks adds one timer, not events over time."
            + " Reproduce: `scripts/bench.sh --single "
            + single
            + " --parked 0 --fleet 0"
            + extraArgs()
            + "`.");
    report.add("");
  }

  private static long payloadBytes(HistoryEvent e) {
    long n = 0;
    for (var f : e.getAllFields().values()) {
      if (f instanceof com.google.protobuf.Message m) {
        n += payloadBytesOf(m);
      }
    }
    return n;
  }

  private static long payloadBytesOf(com.google.protobuf.Message m) {
    if (m instanceof Payload p) {
      return p.getData().size();
    }
    long n = 0;
    for (var f : m.getAllFields().values()) {
      if (f instanceof com.google.protobuf.Message c) {
        n += payloadBytesOf(c);
      } else if (f instanceof List<?> l) {
        for (Object o : l) {
          if (o instanceof com.google.protobuf.Message c) {
            n += payloadBytesOf(c);
          }
        }
      }
    }
    return n;
  }

  // ------------------------------------------------------------------ 2. fleet under a cap

  /** One fleet run under one management cap. */
  record FleetRun(
      int cap, int keys, double seconds, long served, long rejected, int failed, String cpu) {}

  private void fleetsUnderCaps() throws Exception {
    report.add("## 2. Fleet of " + fleet + " keys under a management cap");
    report.add("");
    if (fleet <= 0 || caps.isEmpty()) {
      report.add("Not run (`--fleet 0`).");
      report.add("");
      return;
    }
    List<FleetRun> runs = new ArrayList<>();
    for (int cap : caps) {
      runs.add(fleetUnderCap(cap));
    }
    report.add(
        "| cap C (mgmt calls/s) | rotations/s | mgmt calls/s served | ratio to C | 429s answered"
            + " | failed rotations | time | cores busy: all (server, worker, bench + emulator,"
            + " OpenBao) |");
    report.add("|---|---|---|---|---|---|---|---|");
    for (FleetRun r : runs) {
      double served = r.served() / r.seconds();
      report.add(
          String.format(
              Locale.ROOT,
              "| %d | %.2f | %.1f | %.2f | %d | %d | %.0f s | %s |",
              r.cap(),
              r.keys() / r.seconds(),
              served,
              served / r.cap(),
              r.rejected(),
              r.failed(),
              r.seconds(),
              r.cpu()));
    }
    report.add("");
    report.add(
        String.format(
            Locale.ROOT,
            "Each row: one `FleetRotationWorkflow` (the workflow behind `keyturn rotate-fleet`) over"
                + " %d fresh keys, on a worker restarted for the row (so it starts with no pace), canary 1, concurrency %d, grace 0, one Vault destination each,"
                + " with the emulator answering 429 (retry-after: 1) beyond C management (`/key/*`)"
                + " calls per wall-clock second. Time runs from the fleet's start to the close of"
                + " the last rotation (after its revoke) as the server recorded it; served calls are the `/key/*` answers other than 429 in"
                + " that time. A rotation makes 7 management calls (import, mint, confirm, verify,"
                + " the drain gate's read of the old key, revoke, confirm revoke), so C/7"
                + " rotations/s is the ceiling. The worker paces its management calls per gateway"
                + " (GatewayPacing: Retry-After pauses every call, then a rate that drops to 3/4 of"
                + " the pace that drew the 429, climbs fast to 95%% of it and probes slowly), so"
                + " throttling slows rotations instead of failing them. Cores busy: CPU time over"
                + " the row's wall time, for the machine (from /proc/stat, other programs"
                + " included) and for each process of the stack."
                + " Worker pacing: %s. Reproduce: `scripts/bench.sh --single 0 --parked 0 --fleet"
                + " %d --caps %s --fleet-concurrency %d%s%s`.",
            fleet,
            fleetConcurrency,
            pacing,
            fleet,
            capsArg(),
            fleetConcurrency,
            pacing.equals("adaptive") ? "" : " --pacing " + pacing,
            extraArgs()));
    report.add("");
  }

  /**
   * When the last of the {@code expected} rotations whose workflow ids start with {@code idPrefix}
   * closed (their fleet launchers, {@code rotation/<secret>/fleet-...}, left out); now if the
   * server's visibility does not list them all.
   */
  private Instant lastClose(String idPrefix, int expected) {
    Instant last = Instant.EPOCH;
    int found = 0;
    for (var i : stack.list("WorkflowId STARTS_WITH '" + idPrefix + "'")) {
      String id = i.getExecution().getWorkflowId();
      if (id.indexOf('/', "rotation/".length()) >= 0 || !i.hasCloseTime()) {
        continue;
      }
      found++;
      Instant closed =
          Instant.ofEpochSecond(i.getCloseTime().getSeconds(), i.getCloseTime().getNanos());
      if (closed.isAfter(last)) {
        last = closed;
      }
    }
    if (found < expected) {
      System.out.printf(
          Locale.ROOT,
          "[bench]   visibility lists %d of %d closed rotations: the row ends now%n",
          found,
          expected);
      return Instant.now();
    }
    return last;
  }

  /**
   * The emulator's `/key/*` answers from t0 to t1, second by second: {@code served} (any status but
   * 429) and {@code rejected} (429). The log prints both: where a fleet row waited.
   */
  private record Timeline(int[] served, int[] rejected) {
    static String line(int[] perSecond) {
      StringBuilder b = new StringBuilder();
      for (int k : perSecond) {
        b.append(k).append(' ');
      }
      return b.toString().trim();
    }

    static long total(int[] perSecond) {
      return java.util.Arrays.stream(perSecond).asLongStream().sum();
    }
  }

  private Timeline timeline(Instant t0, Instant t1) {
    int seconds = (int) (Duration.between(t0, t1).toMillis() / 1000) + 1;
    Timeline t = new Timeline(new int[seconds], new int[seconds]);
    for (var c : stack.litellm.calls()) {
      if (!c.route().startsWith("/key/") || c.at().isBefore(t0) || c.at().isAfter(t1)) {
        continue;
      }
      int second = (int) (Duration.between(t0, c.at()).toMillis() / 1000);
      (c.status() == 429 ? t.rejected() : t.served())[second]++;
    }
    return t;
  }

  private FleetRun fleetUnderCap(int cap) throws Exception {
    // A fresh worker per row: the pace it learned under the previous cap would otherwise carry
    // over (it would have to find the new cap first), and the row measures a fleet under C alone.
    stack.restartWorkerWith(Map.of());
    String prefix = "fleet-c" + cap + "-";
    List<RotationRequest> members = new ArrayList<>();
    for (int i = 0; i < fleet; i++) {
      String app = prefix + i;
      String raw =
          stack.litellm.createKey(Map.of("key_alias", app, "models", List.of("gpt-4o-mini")));
      members.add(request(app, raw, Duration.ZERO));
    }
    String fleetId = "bench-c" + cap;
    FleetRotationWorkflow wf =
        stack.client.newWorkflowStub(
            FleetRotationWorkflow.class,
            WorkflowOptions.newBuilder()
                .setWorkflowId(FleetRotationWorkflow.workflowId(fleetId))
                .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                .build());
    stack.litellm.faults().managementRateCap(cap);
    stack.litellm.clearCalls();
    System.out.printf(Locale.ROOT, "[bench] fleet of %d under cap %d/s%n", fleet, cap);
    long[] cpu0 = cpuSnapshot();
    Instant t0 = Instant.now();
    FleetProgress p = wf.rotateFleet(new FleetRequest(members, fleetConcurrency, 1, 1.0, "bench"));
    int failed = p.failed();
    // The fleet is done when every key is published; each rotation then revokes on its own.
    for (FleetProgress.Member m : p.members()) {
      if (m.state() == MemberState.FAILED) {
        continue; // counted already
      }
      try {
        stack.client.newUntypedWorkflowStub(m.workflowId()).getResult(RotationResult.class);
      } catch (RuntimeException e) {
        failed++; // failed after publishing (revoke)
      }
    }
    long[] cpu1 = cpuSnapshot();
    double cpuSeconds = Duration.between(t0, Instant.now()).toMillis() / 1000.0;
    // The row ends when the last rotation closed (after its revoke), not when this loop of 1,000
    // sequential getResult calls is over: that loop alone took about 3 s, 2% of a row at C = 50.
    Instant t1 = lastClose("rotation/" + prefix, fleet);
    stack.litellm.faults().managementRateCap(0);
    Timeline timeline = timeline(t0, t1);
    long served = Timeline.total(timeline.served());
    long rejected = Timeline.total(timeline.rejected());
    double seconds = Duration.between(t0, t1).toMillis() / 1000.0;
    System.out.println("[bench]   served per second: " + Timeline.line(timeline.served()));
    System.out.println("[bench]   429s per second:   " + Timeline.line(timeline.rejected()));
    System.out.printf(
        Locale.ROOT,
        "[bench]   %.1f s, %d served, %d rejected, %d failed%n",
        seconds,
        served,
        rejected,
        failed);
    String cores = coresBusy(cpu0, cpu1, cpuSeconds);
    System.out.println("[bench]   cores busy: " + cores);
    return new FleetRun(cap, fleet, seconds, served, rejected, failed, cores);
  }

  // ------------------------------------------------------------------ 3. parked rotations

  private void parkedRotations() throws Exception {
    if (parked <= 0) {
      report.add("## 3. Rotations parked in their grace period");
      report.add("");
      report.add("Not run (`--parked 0`).");
      return;
    }
    long dbBefore = dbBytes();
    long rssBefore = rssKb(stack.worker.pid());
    Instant t0 = Instant.now();
    for (int i = 0; i < parked; i++) {
      String app = "park-" + i;
      String raw =
          stack.litellm.createKey(Map.of("key_alias", app, "models", List.of("gpt-4o-mini")));
      RotationRequest req = request(app, raw, Duration.ofDays(7));
      WorkflowStub stub =
          stack.client.newUntypedWorkflowStub(
              "KeyRotation",
              WorkflowOptions.newBuilder()
                  .setWorkflowId(req.workflowId())
                  .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                  .build());
      stub.start(req);
    }
    double startSeconds = Duration.between(t0, Instant.now()).toMillis() / 1000.0;
    long inGrace = 0;
    Instant deadline = Instant.now().plus(Duration.ofMinutes(40));
    while (Instant.now().isBefore(deadline)) {
      inGrace =
          stack.count("KeyturnPhase = 'IN_GRACE' AND WorkflowId STARTS_WITH 'rotation/park-'");
      if (inGrace >= parked) {
        break;
      }
      Thread.sleep(2000);
    }
    double toGrace = Duration.between(t0, Instant.now()).toMillis() / 1000.0;
    Thread.sleep(10_000); // let the worker settle: every rotation is asleep on its timer
    long rss = rssKb(stack.worker.pid());
    double cpu = cpuPercent(stack.worker.pid(), 30);
    long dbAfter = dbBytes();
    report.add("## 3. " + parked + " rotations parked in their grace period (7 days)");
    report.add("");
    report.add("| | value |");
    report.add("|---|---|");
    report.add(
        String.format(Locale.ROOT, "| started (client) | %d in %.1f s |", parked, startSeconds));
    report.add(
        String.format(
            Locale.ROOT,
            "| reached IN_GRACE | %d in %.1f s (%.1f rotations/s up to the grace period) |",
            inGrace,
            toGrace,
            inGrace / toGrace));
    report.add(
        String.format(
            Locale.ROOT,
            "| worker resident memory while they sleep | %.0f MiB (%.0f MiB before) |",
            rss / 1024.0,
            rssBefore / 1024.0));
    report.add(
        String.format(
            Locale.ROOT,
            "| worker CPU while they sleep (30 s average) | %.1f%% of one core |",
            cpu));
    report.add(
        String.format(
            Locale.ROOT,
            "| dev server database growth | %.1f MiB, %.1f KiB per rotation |",
            (dbAfter - dbBefore) / 1048576.0,
            (dbAfter - dbBefore) / 1024.0 / Math.max(1, inGrace)));
    report.add("");
    report.add(
        "A rotation in its grace period is a durable timer in the server: it holds no worker"
            + " thread, and the worker's memory is its JVM plus the workflow cache (bounded by the"
            + " SDK's cache size, evicted workflows are replayed from history when their timer"
            + " fires). Reproduce: `scripts/bench.sh --single 0 --parked "
            + parked
            + " --fleet 0"
            + extraArgs()
            + "`.");
    report.add("");
  }

  private long dbBytes() throws IOException {
    long n = 0;
    for (String suffix : new String[] {"", "-wal", "-shm"}) {
      Path p = dir.resolve("temporal.sqlite" + suffix);
      if (Files.exists(p)) {
        n += Files.size(p);
      }
    }
    return n;
  }

  private static long rssKb(long pid) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    return -1;
  }

  private static double cpuPercent(long pid, int seconds) throws Exception {
    long a = cpuTicks(pid);
    long t0 = System.nanoTime();
    TimeUnit.SECONDS.sleep(seconds);
    long b = cpuTicks(pid);
    double elapsed = (System.nanoTime() - t0) / 1e9;
    return 100.0 * (b - a) / 100.0 / elapsed; // USER_HZ is 100 on Linux
  }

  /**
   * CPU ticks (USER_HZ) so far: the machine's busy time (all but idle and iowait, from /proc/stat),
   * then the dev server, the worker, this JVM (the bench and the emulator) and OpenBao.
   */
  private long[] cpuSnapshot() throws IOException {
    String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
    long busy = 0;
    for (int i = 1; i < f.length && i <= 7; i++) { // user .. softirq; not steal (a VM's host)
      if (i != 4 && i != 5) { // idle, iowait
        busy += Long.parseLong(f[i]);
      }
    }
    return new long[] {
      busy,
      cpuTicks(stack.temporal.pid()),
      cpuTicks(stack.worker.pid()),
      cpuTicks(ProcessHandle.current().pid()),
      cpuTicks(stack.bao.pid())
    };
  }

  private static String coresBusy(long[] before, long[] after, double seconds) {
    double[] c = new double[before.length];
    for (int i = 0; i < c.length; i++) {
      c[i] = (after[i] - before[i]) / 100.0 / seconds; // USER_HZ is 100 on Linux
    }
    return String.format(
        Locale.ROOT, "%.2f (%.2f, %.2f, %.2f, %.2f)", c[0], c[1], c[2], c[3], c[4]);
  }

  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime + stime
  }

  private static double pct(List<Double> xs, int p) {
    if (xs.isEmpty()) {
      return Double.NaN;
    }
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    int i = (int) Math.ceil(p / 100.0 * s.size()) - 1;
    return s.get(Math.max(0, Math.min(s.size() - 1, i)));
  }
}
