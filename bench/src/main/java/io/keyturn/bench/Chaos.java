package io.keyturn.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.launch.CommandResult;
import io.keyturn.testkit.launch.FreePorts;
import io.keyturn.testkit.litellm.CallRecord;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.model.KeyDerivation;
import io.temporal.api.common.v1.WorkflowExecution;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryRequest;
import io.temporal.api.workflowservice.v1.GetWorkflowExecutionHistoryResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * Keyturn's chaos suite (not a test): N rotations started with the real {@code keyturn} CLI on the
 * real stack ({@link LocalStack}) while the emulated proxy drops 30% of {@code /key/generate}
 * replies after creating the key, answers 5% 500s and 5% 429s and lets a deleted key work for 2 s,
 * while the worker is SIGKILLed at random moments (during its start-up and in each step of a
 * rotation) and the Temporal server once; then the targeted cases of a failed mint (issue 18,
 * defect 1) and of a start run twice (defect 2); then the invariants, as a table. Exits 1 on any
 * violation. Run with {@code scripts/chaos.sh [--short] [--rotations N] [--kills K] [--seed S]
 * [--keep]}.
 */
public final class Chaos {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final String MAIN_PREFIX = "chaos-";
  private static final String D1A = "d1a-lost-reply-then-401";
  private static final String D1B = "d1b-lost-reply-worker-down";
  private static final String D1C = "d1c-fallback-lost-reply-worker-down";

  /** The mint's local attempts before it falls back (KeyRotationWorkflowImpl.LOCAL_FIRST). */
  private static final int LOCAL_MINT_ATTEMPTS = 3;

  private static final String D2 = "d2-started-twice";

  /** The phases of a rotation a kill aims at, in turn; STARTUP kills a worker while it starts. */
  private static final List<String> TARGETS =
      List.of("STARTUP", "MINTING", "VERIFYING", "PUBLISHING", "IN_GRACE", "REVOKING", "ANY");

  enum Outcome {
    PASS,
    FAIL,
    SKIP,
    INFO
  }

  record Row(String invariant, Outcome outcome, String details) {}

  record Workflow(String id, String runId, WorkflowExecutionStatus status) {
    String secretId() {
      return id.split("/")[1];
    }
  }

  // options
  int rotations = 40;
  int kills = 12;
  long seed = System.currentTimeMillis();
  boolean keep;
  boolean shortForm;
  int graceSeconds = 3;
  int waitSeconds = 600;
  int mintDeadlineSeconds = 15 * 60;

  /**
   * When set, case D1b runs on a worker started with KEYTURN_STEP_DEADLINE of this many seconds
   * (the rest of the run keeps the default), and mintDeadlineSeconds follows it.
   */
  int d1bStepDeadlineSeconds;

  boolean longCases;
  final Map<String, String> workerEnv = new LinkedHashMap<>();
  Path out;

  private final List<Row> rows = new ArrayList<>();
  private final Map<String, String> oldKeys = new TreeMap<>();
  private final List<String> killLog = new ArrayList<>();
  private final AtomicInteger cliRuns = new AtomicInteger();
  private final AtomicInteger cliFailed = new AtomicInteger();
  private final List<String> cliFailures = new ArrayList<>();
  private Random random;
  private Path dir;
  private Path cliLog;
  private LocalStack stack;
  private int codecPort;
  private String codecToken;
  private String temporalKill = "not done";
  private volatile boolean mainRunOpen;
  private volatile boolean startsDone;
  private boolean cleanedUp;

  public static void main(String[] args) throws Exception {
    Chaos c = new Chaos();
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rotations" -> c.rotations = Integer.parseInt(args[++i]);
        case "--kills" -> c.kills = Integer.parseInt(args[++i]);
        case "--seed" -> c.seed = Long.parseLong(args[++i]);
        case "--short" -> {
          c.shortForm = true;
          c.rotations = 10;
          c.kills = 3;
          c.waitSeconds = 150;
        }
        case "--keep" -> c.keep = true;
        case "--grace-seconds" -> c.graceSeconds = Integer.parseInt(args[++i]);
        case "--wait-seconds" -> c.waitSeconds = Integer.parseInt(args[++i]);
        case "--mint-deadline-seconds" -> c.mintDeadlineSeconds = Integer.parseInt(args[++i]);
        case "--d1b-step-deadline-seconds" ->
            c.d1bStepDeadlineSeconds = Integer.parseInt(args[++i]);
        case "--long-cases" -> c.longCases = true;
        case "--worker-env" -> {
          String[] kv = args[++i].split("=", 2);
          c.workerEnv.put(kv[0], kv[1]);
        }
        case "--out" -> c.out = Path.of(args[++i]);
        case "--help", "-h" -> {
          System.out.print(USAGE);
          System.exit(0);
        }
        default -> {
          System.err.println(USAGE);
          System.exit(2);
        }
      }
    }
    System.exit(c.run());
  }

  static final String USAGE =
      """
      usage: chaos [--short] [--rotations N] [--kills K] [--seed S] [--keep] [--out FILE]
                   [--grace-seconds N] [--wait-seconds N]
                   [--d1b-step-deadline-seconds N | --long-cases]
        --short                 10 rotations, 3 worker kills (plus one Temporal kill), about 3 min
        --rotations N, --kills K  the full form's defaults are 40 and 12
        --seed S                chooses the faults, the kill moments and their targets
        --keep                  leave the directory (logs, SQLite file, key files) for inspection
        --d1b-step-deadline-seconds N  case D1b runs on a worker with KEYTURN_STEP_DEADLINE=Ns (how
                                long a step retries before the rotation rolls back; the worker's
                                default is 15 min) and keeps it down past that; without it, D1b
                                runs only with --long-cases (waits the 15 minutes out)
      """;

  int run() throws Exception {
    random = new Random(seed);
    dir = Files.createTempDirectory("keyturn-chaos");
    cliLog = dir.resolve("cli.log");
    Thread hook = new Thread(this::cleanUp, "chaos-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    Instant t0 = Instant.now();
    try {
      start();
      mainRun();
      targetedCases();
      check();
    } catch (Exception | Error e) {
      e.printStackTrace();
      rows.add(new Row("the chaos run itself", Outcome.FAIL, oneLine(e.toString())));
    } finally {
      rows.add(
          new Row(
              "run",
              Outcome.INFO,
              String.format(
                  Locale.ROOT,
                  "seed %d, %d rotations, %d kills planned, %.0f s in all, files in %s%s",
                  seed,
                  rotations,
                  kills,
                  Duration.between(t0, Instant.now()).toMillis() / 1000.0,
                  dir,
                  keep ? " (kept)" : " (deleted)")));
      String table = table();
      System.out.println(table);
      if (out != null) {
        Files.writeString(out, table + "\n");
      }
      cleanUp();
      Runtime.getRuntime().removeShutdownHook(hook);
    }
    return rows.stream().anyMatch(r -> r.outcome() == Outcome.FAIL) ? 1 : 0;
  }

  private synchronized void cleanUp() {
    if (cleanedUp) {
      return;
    }
    cleanedUp = true;
    if (stack != null) {
      stack.close();
    }
    if (!keep && dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException e) {
        System.err.println("could not delete " + dir + ": " + e.getMessage());
      }
    }
  }

  // ------------------------------------------------------------------ the stack and the seeds

  private void start() throws Exception {
    codecPort = FreePorts.pick();
    codecToken = "codec-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "");
    Map<String, String> env = new LinkedHashMap<>();
    // A fixed codec port, so the endpoint is the same after every restart of the worker.
    env.put("KEYTURN_CODEC_PORT", "" + codecPort);
    env.put("KEYTURN_CODEC_TOKEN_FILE", LocalStack.file(dir, "codec.token", codecToken).toString());
    env.putAll(workerEnv);
    log("starting the stack in " + dir);
    stack = LocalStack.start(dir, Map.of(), env, List.of("-Xmx256m"));
    log("stack up: Temporal " + stack.temporal.address() + ", emulator " + stack.litellm.baseUrl());
  }

  private Path seedKey(String id) throws IOException {
    String raw = stack.litellm.createKey(Map.of("key_alias", id, "models", List.of("gpt-4o-mini")));
    oldKeys.put(id, raw);
    return LocalStack.file(dir, "keys/" + id + ".key", raw);
  }

  private static String mainId(int i) {
    return String.format(Locale.ROOT, MAIN_PREFIX + "%03d", i);
  }

  // ------------------------------------------------------------------ the main run

  private void mainRun() throws Exception {
    for (int i = 0; i < rotations; i++) {
      seedKey(mainId(i));
    }
    stack
        .litellm
        .faults()
        .randomly("/key/generate", 0.30, 0.05, 0.05, seed)
        .randomly("*", 0, 0.05, 0.05, seed + 1)
        .deletePropagationDelay(Duration.ofSeconds(2))
        // Slower verify and revoke calls, so that kills land inside those steps too.
        .latency("/v1/models", Duration.ofMillis(300))
        .latency("/key/delete", Duration.ofMillis(200));
    log("main run: " + rotations + " rotations, " + kills + " worker kills, seed " + seed);
    mainRunOpen = true;
    Thread killer = new Thread(this::killLoop, "chaos-killer");
    killer.start();
    ExecutorService starters = Executors.newFixedThreadPool(3);
    for (int i = 0; i < rotations; i++) {
      String id = mainId(i);
      starters.submit(() -> startRotation(id));
    }
    starters.shutdown();
    if (!starters.awaitTermination(20, TimeUnit.MINUTES)) {
      starters.shutdownNow();
      rows.add(new Row("CLI starts", Outcome.FAIL, "the starts did not end in 20 minutes"));
    }
    startsDone = true;
    killer.join(Duration.ofMinutes(10).toMillis());
    mainRunOpen = false;
    killer.join(Duration.ofMinutes(2).toMillis());
    ensureWorker();
    boolean closed = awaitClosed(MAIN_PREFIX, Duration.ofSeconds(waitSeconds));
    log("main run " + (closed ? "closed" : "NOT closed within " + waitSeconds + " s"));
  }

  /** One rotation, as a user starts it: re-run the command (bounded) when it fails. */
  private void startRotation(String id) {
    Path keyFile = dir.resolve("keys/" + id + ".key");
    for (int attempt = 1; attempt <= 5; attempt++) {
      CommandResult r =
          cli(
              "rotate",
              "--secret-id",
              id,
              "--key-file",
              keyFile.toString(),
              "--grace",
              graceSeconds + "s",
              "--json");
      if (r.succeeded()) {
        return;
      }
      sleep(3000);
    }
  }

  private void killLoop() {
    try {
      for (int k = 0; k < kills && mainRunOpen; k++) {
        if (startsDone && noneRunning()) {
          killLog.add("no rotation left open after " + k + " kills");
          break;
        }
        if (k == kills / 2) {
          killTemporal();
        }
        sleep(1000 + random.nextInt(3000));
        String target = TARGETS.get(k % TARGETS.size());
        if (target.equals("STARTUP")) {
          stack.worker.kill();
          stack.worker.launch();
          int after = 300 + random.nextInt(3000);
          sleep(after);
          boolean started = stack.worker.hasStarted();
          stack.worker.kill();
          killLog.add("start-up +" + after + " ms" + (started ? " (had started)" : ""));
        } else {
          boolean seen = target.equals("ANY") || awaitPhase(target, Duration.ofSeconds(15));
          stack.worker.kill();
          killLog.add(target + (seen ? "" : " (phase not seen)"));
          sleep(500 + random.nextInt(2500)); // the worker stays down a while
        }
        ensureWorker();
      }
    } catch (Exception e) {
      killLog.add("kill loop stopped: " + oneLine(e.toString()));
    }
  }

  private void killTemporal() throws IOException {
    Instant t = Instant.now();
    stack.temporal.kill();
    sleep(2000 + random.nextInt(2000));
    stack.temporal.start();
    temporalKill =
        String.format(
            Locale.ROOT,
            "SIGKILL, back after %.1f s on the same port and SQLite file",
            Duration.between(t, Instant.now()).toMillis() / 1000.0);
    log("Temporal server killed and restarted");
  }

  /** Restarts the worker if it is not running; a few attempts, for a start that fails. */
  private void ensureWorker() throws Exception {
    for (int attempt = 1; !stack.worker.isAlive() || !stack.worker.hasStarted(); attempt++) {
      try {
        stack.worker.kill();
        stack.worker.start();
      } catch (IllegalStateException | IOException e) {
        if (attempt >= 3) {
          throw e;
        }
        log("worker start failed (" + oneLine(e.getMessage()) + "); again");
      }
    }
  }

  private boolean noneRunning() {
    try {
      return stack.count("WorkflowId STARTS_WITH 'rotation/' AND ExecutionStatus = 'Running'") == 0;
    } catch (RuntimeException e) {
      return false;
    }
  }

  private boolean awaitPhase(String phase, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    // Minting and verifying run as local activities inside a workflow task: no search attribute
    // names them. Aim at them by the proxy call that step makes.
    String route =
        phase.equals("MINTING") ? "/key/generate" : phase.equals("VERIFYING") ? "/v1/models" : null;
    if (route != null) {
      Instant since = Instant.now();
      while (System.nanoTime() < deadline) {
        if (stack.litellm.calls().stream()
            .anyMatch(c -> c.route().equals(route) && !c.at().isBefore(since))) {
          return true;
        }
        sleep(50);
      }
      return false;
    }
    while (System.nanoTime() < deadline) {
      try {
        if (stack.count(
                "WorkflowId STARTS_WITH 'rotation/"
                    + MAIN_PREFIX
                    + "' AND ExecutionStatus = 'Running' AND KeyturnPhase = '"
                    + phase
                    + "'")
            > 0) {
          return true;
        }
      } catch (RuntimeException e) {
        // the server is down or busy: look again
      }
      sleep(100);
    }
    return false;
  }

  private boolean awaitClosed(String idPrefix, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (stack.count(
                "WorkflowId STARTS_WITH 'rotation/"
                    + idPrefix
                    + "' AND ExecutionStatus = 'Running'")
            == 0) {
          return true;
        }
      } catch (RuntimeException e) {
        // look again
      }
      ensureWorker();
      sleep(1000);
    }
    return false;
  }

  // ------------------------------------------------------------------ targeted cases

  private void targetedCases() throws Exception {
    stack.litellm.faults().clear().deletePropagationDelay(Duration.ofSeconds(2));
    ensureWorker();
    lostReplyThen401();
    lostReplyWorkerDown(
        D1B, "D1b: mint reply lost, worker down past the mint's schedule-to-close: no orphan", 0);
    lostReplyWorkerDown(
        D1C,
        "D1c: mint fell back to an activity, its reply lost, worker down past the activity's"
            + " schedule-to-close: no orphan",
        LOCAL_MINT_ATTEMPTS);
    startedTwice();
  }

  /** Defect 1a: the first /key/generate creates the key but its reply is lost; the retry: 401. */
  private void lostReplyThen401() throws Exception {
    Path keyFile = seedKey(D1A);
    Instant t0 = Instant.now();
    stack.litellm.faults().dropReplyNext("/key/generate", 1).failNext("/key/generate", 401, 1);
    CommandResult r = rotate(D1A, keyFile, "--generation", "1");
    boolean closed = awaitClosed(D1A, Duration.ofSeconds(120));
    stack.litellm.faults().clear().deletePropagationDelay(Duration.ofSeconds(2));
    boolean dropped = injectedSince(t0, "DROP_REPLY", "/key/generate");
    boolean refused = injectedSince(t0, "FAIL", "/key/generate");
    rows.add(
        failedMintRow(
            "D1a: mint reply lost, retry answered 401: no orphan key",
            D1A,
            closed,
            dropped && refused,
            "CLI exit " + r.exitCode()));
  }

  /**
   * Defect 1b: the reply is lost and the worker stays down past the mint's schedule-to-close. The
   * mint runs first as a local activity, whose deadline runs only while a worker runs it; with
   * {@code localFailures} set to the local attempts, the proxy answers 503 to each of them first,
   * so the mint falls back to a normal activity and the lost reply is the activity's, whose
   * schedule-to-close the server enforces while the worker is down (the defect as first found).
   */
  private void lostReplyWorkerDown(String id, String name, int localFailures) throws Exception {
    if (d1bStepDeadlineSeconds > 0) {
      mintDeadlineSeconds = d1bStepDeadlineSeconds;
    }
    if (mintDeadlineSeconds > 180 && !longCases) {
      rows.add(
          new Row(
              name,
              Outcome.SKIP,
              "the mint's schedule-to-close is the worker's KEYTURN_STEP_DEADLINE, "
                  + mintDeadlineSeconds
                  + " s: run with --d1b-step-deadline-seconds N (e.g. 20) to shorten it for this"
                  + " case, or wait it out with --long-cases"));
      return;
    }
    if (d1bStepDeadlineSeconds > 0) {
      stack.restartWorkerWith(Map.of("KEYTURN_STEP_DEADLINE", d1bStepDeadlineSeconds + "s"));
    }
    Path keyFile = seedKey(id);
    Instant t0 = Instant.now();
    if (localFailures > 0) {
      stack.litellm.faults().failNext("/key/generate", 503, localFailures);
    }
    stack.litellm.faults().dropReplyNext("/key/generate", 1);
    CommandResult r = rotate(id, keyFile, "--generation", "1");
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (!injectedSince(t0, "DROP_REPLY", "/key/generate") && System.nanoTime() < deadline) {
      sleep(10);
    }
    stack.worker.kill();
    boolean dropped =
        injectedSince(t0, "DROP_REPLY", "/key/generate")
            && (localFailures == 0 || injectedSince(t0, "FAIL", "/key/generate"));
    // Should the kill come after a retry was sent, that retry fails too: the proxy stays broken.
    stack.litellm.faults().failNext("/key/generate", 503, 100_000);
    log(id + ": worker down for " + (mintDeadlineSeconds + 10) + " s");
    sleep((mintDeadlineSeconds + 10) * 1000L);
    stack.litellm.faults().clear().deletePropagationDelay(Duration.ofSeconds(2));
    ensureWorker();
    boolean closed = awaitClosed(id, Duration.ofSeconds(120));
    List<Workflow> wfs = workflows(id);
    if (localFailures == 0
        && closed
        && !wfs.isEmpty()
        && wfs.get(wfs.size() - 1).status()
            == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      // Mint runs as a local activity: its deadline runs only while a worker runs it, so a worker
      // that comes back replays the workflow task and the mint adopts the key its lost reply made.
      // No orphan then means: the rotation's new key is the secret's only live minted key, and the
      // old key went only because the rotation completed.
      rows.add(completedAfterLostMintRow(name, id, dropped, "CLI exit " + r.exitCode()));
    } else {
      // The activity's schedule-to-close passed while the worker was down: the rotation must have
      // failed, deleted the key the lost reply made, and left the old key working.
      rows.add(failedMintRow(name, id, closed, dropped, "CLI exit " + r.exitCode()));
    }
    if (d1bStepDeadlineSeconds > 0) {
      stack.restartWorkerWith(Map.of());
    }
  }

  /** Defect 2: the same `keyturn rotate` run twice (a user retrying) must be one rotation. */
  private void startedTwice() throws Exception {
    Path keyFile = seedKey(D2);
    CommandResult first = rotate(D2, keyFile);
    sleep(1500);
    CommandResult second = rotate(D2, keyFile);
    boolean closed = awaitClosed(D2, Duration.ofSeconds(120));
    List<Workflow> wfs = workflows(D2);
    long minted = everKeys().stream().filter(k -> isMintedFor(k, D2)).count();
    List<EmulatedKey> live = liveFor(D2);
    boolean ok = closed && wfs.size() == 1 && minted == 1 && live.size() == 1;
    rows.add(
        new Row(
            "D2: the same rotate command run twice is one rotation",
            ok ? Outcome.PASS : Outcome.FAIL,
            String.format(
                Locale.ROOT,
                "exits %d then %d; %d rotation workflow(s) %s; %d key(s) minted; %d live key(s)%s",
                first.exitCode(),
                second.exitCode(),
                wfs.size(),
                wfs.stream().map(w -> w.id() + " " + shortStatus(w)).toList(),
                minted,
                live.size(),
                closed ? "" : "; NOT closed within 120 s")));
  }

  /** A lost mint reply whose rotation resumed and completed: one live minted key, and it is new. */
  private Row completedAfterLostMintRow(String name, String id, boolean exercised, String note)
      throws Exception {
    List<String> minted =
        stack.litellm.liveKeys().stream()
            .filter(k -> isMintedFor(k, id))
            .map(k -> k.keyAlias() + " " + k.keyName())
            .toList();
    List<String> problems = new ArrayList<>();
    if (!exercised) {
      problems.add("the faults were not hit (case not exercised)");
    }
    if (minted.size() != 1) {
      problems.add("live minted keys " + minted + " (expected exactly the rotation's new key)");
    }
    return new Row(
        name,
        problems.isEmpty() ? Outcome.PASS : Outcome.FAIL,
        (problems.isEmpty()
                ? "resumed after the worker came back and completed; no orphan (one live key, "
                    + minted
                    + ")"
                : String.join("; ", problems))
            + "; "
            + note);
  }

  private Row failedMintRow(String name, String id, boolean closed, boolean exercised, String note)
      throws Exception {
    List<Workflow> wfs = workflows(id);
    List<String> orphans =
        stack.litellm.liveKeys().stream()
            .filter(k -> isMintedFor(k, id))
            .map(k -> k.keyAlias() + " " + k.keyName())
            .toList();
    boolean oldLive = isLive(KeyMaterial.tokenHash(oldKeys.get(id)));
    List<String> problems = new ArrayList<>();
    if (!exercised) {
      problems.add("the faults were not hit (case not exercised)");
    }
    if (!closed) {
      problems.add("the rotation did not close within 120 s");
    }
    if (!orphans.isEmpty()) {
      problems.add("ORPHAN live key(s) " + orphans);
    }
    if (!oldLive) {
      problems.add("the old key was revoked");
    }
    String status = wfs.stream().map(Chaos::shortStatus).toList() + "";
    return new Row(
        name,
        problems.isEmpty() ? Outcome.PASS : Outcome.FAIL,
        (problems.isEmpty() ? "no orphan, old key live" : String.join("; ", problems))
            + "; rotation "
            + status
            + "; "
            + note);
  }

  private boolean injectedSince(Instant t0, String kind, String route) {
    return stack.litellm.calls().stream()
        .anyMatch(
            c -> !c.at().isBefore(t0) && kind.equals(c.injected()) && c.route().equals(route));
  }

  private CommandResult rotate(String id, Path keyFile, String... more) {
    List<String> args = new ArrayList<>();
    args.addAll(
        List.of(
            "rotate",
            "--secret-id",
            id,
            "--key-file",
            keyFile.toString(),
            "--grace",
            graceSeconds + "s",
            "--json"));
    args.addAll(List.of(more));
    return cli(args.toArray(String[]::new));
  }

  // ------------------------------------------------------------------ the invariants

  private void check() throws Exception {
    log("checking the invariants");
    List<Workflow> all = workflows("");
    List<Workflow> main =
        all.stream().filter(w -> w.id().startsWith("rotation/" + MAIN_PREFIX)).toList();
    Map<String, List<Workflow>> bySecret = new TreeMap<>();
    for (Workflow w : main) {
      bySecret.computeIfAbsent(w.secretId(), s -> new ArrayList<>()).add(w);
    }
    List<String> mainIds =
        oldKeys.keySet().stream().filter(s -> s.startsWith(MAIN_PREFIX)).toList();

    // closed and completed
    List<String> running = new ArrayList<>();
    List<String> notCompleted = new ArrayList<>();
    for (Workflow w : main) {
      if (w.status() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
        running.add(w.id());
      } else if (w.status() != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
        notCompleted.add(w.id() + " " + shortStatus(w));
      }
    }
    List<String> neverStarted = mainIds.stream().filter(s -> !bySecret.containsKey(s)).toList();
    rows.add(
        row(
            "every rotation closed within " + waitSeconds + " s",
            running,
            main.size() + " rotation workflows"));
    rows.add(
        row(
            "every rotation completed (and every secret's rotation started)",
            concat(notCompleted, neverStarted.stream().map(s -> s + " never started").toList()),
            (main.size() - running.size() - notCompleted.size()) + " completed"));

    // one rotation per secret (defect 2)
    List<String> twice = new ArrayList<>();
    bySecret.forEach(
        (s, ws) -> {
          if (ws.size() > 1) {
            twice.add(s + ": " + ws.stream().map(Workflow::id).toList());
          }
        });
    rows.add(row("at most one rotation per secret", twice, bySecret.size() + " secrets"));

    // keys at the proxy and in the destination
    List<EmulatedKey> live = stack.litellm.liveKeys();
    List<EmulatedKey> ever = everKeys();
    List<String> notOne = new ArrayList<>();
    List<String> notHeld = new ArrayList<>();
    List<String> oldAlive = new ArrayList<>();
    List<String> early = new ArrayList<>();
    Set<String> heldByDestination = new LinkedHashSet<>();
    for (String id : oldKeys.keySet()) {
      String held = vaultKeyHash(id);
      if (held != null) {
        heldByDestination.add(held);
      }
    }
    for (String id : mainIds) {
      List<EmulatedKey> mine = liveFor(id);
      if (mine.size() != 1) {
        notOne.add(
            id + ": " + mine.size() + " " + mine.stream().map(EmulatedKey::keyAlias).toList());
      }
      String held = vaultKeyHash(id);
      if (mine.size() == 1 && !mine.get(0).tokenHash().equals(held)) {
        notHeld.add(id + (held == null ? ": Vault holds nothing" : ": Vault holds another key"));
      }
      String oldHash = KeyMaterial.tokenHash(oldKeys.get(id));
      if (isLive(oldHash)) {
        oldAlive.add(id);
      } else {
        String violation = revokedEarly(id, oldHash, bySecret.getOrDefault(id, List.of()));
        if (violation != null) {
          early.add(violation);
        }
      }
    }
    rows.add(
        row(
            "exactly one live key per secret at the proxy",
            notOne,
            live.size() + " live keys in all"));
    rows.add(row("every destination holds the secret's live key", notHeld, "Vault KV v2"));
    rows.add(row("old keys deleted", oldAlive, mainIds.size() + " old keys"));
    long minted =
        ever.stream().filter(k -> mainIds.stream().anyMatch(id -> isMintedFor(k, id))).count();
    List<String> orphans =
        live.stream()
            .filter(k -> k.keyAlias() != null && k.keyAlias().startsWith("keyturn-"))
            .filter(k -> !heldByDestination.contains(k.tokenHash()))
            .map(k -> k.keyAlias() + " " + k.keyName())
            .toList();
    List<String> mintProblems = new ArrayList<>(orphans.stream().map(o -> "orphan " + o).toList());
    if (minted != main.size()) {
      mintProblems.add(0, "keys minted " + minted + " != rotations " + main.size());
    }
    rows.add(
        row(
            "keys minted = rotations, no orphan (keyturn-* key live but in no destination)",
            mintProblems,
            "minted "
                + minted
                + ", rotations "
                + main.size()
                + ", orphans in all runs "
                + orphans.size()));
    rows.add(
        row(
            "no revoke before the new key was verified and published",
            early,
            "old key's deletion (emulator row) after VerifyKey (activity or local-activity"
                + " marker) and PublishTo completed (history)"
                + " and after Vault's write (metadata created_time)"));

    noKeyValues(all, ever);
    info();
  }

  /**
   * Null if the old key of {@code id} was deleted after verify and publish; else what was wrong.
   */
  private String revokedEarly(String id, String oldHash, List<Workflow> wfs) throws Exception {
    Instant deletedAt = null;
    for (EmulatedKey k : stack.litellm.deletedKeys()) {
      if (k.tokenHash().equals(oldHash) && k.row().get("deleted_at") != null) {
        Instant at = OffsetDateTime.parse(String.valueOf(k.row().get("deleted_at"))).toInstant();
        deletedAt = deletedAt == null || at.isBefore(deletedAt) ? at : deletedAt;
      }
    }
    if (deletedAt == null) {
      return id + ": old key gone but no deletion recorded";
    }
    Instant verified = null;
    Instant published = null;
    for (Workflow w : wfs) {
      Map<Long, String> types = new java.util.HashMap<>();
      Instant v = null;
      Instant p = null;
      for (HistoryEvent e : history(w.id(), w.runId())) {
        if (e.hasActivityTaskScheduledEventAttributes()) {
          types.put(
              e.getEventId(),
              e.getActivityTaskScheduledEventAttributes().getActivityType().getName());
        } else if (e.hasActivityTaskCompletedEventAttributes() || completedLocally(e)) {
          String type =
              e.hasMarkerRecordedEventAttributes()
                  ? localActivityType(e)
                  : types.get(e.getActivityTaskCompletedEventAttributes().getScheduledEventId());
          Instant t =
              Instant.ofEpochSecond(e.getEventTime().getSeconds(), e.getEventTime().getNanos());
          if (type != null && type.startsWith("Verify")) {
            v = t;
          } else if (type != null && type.startsWith("Publish")) {
            p = t;
          }
        }
      }
      if (v != null && p != null && (verified == null || p.isBefore(published))) {
        verified = v;
        published = p;
      }
    }
    Instant written = vaultFirstWrite(id);
    if (verified == null || published == null) {
      return id
          + ": old key deleted at "
          + deletedAt
          + " by no rotation that verified and published";
    }
    if (deletedAt.isBefore(verified) || deletedAt.isBefore(published)) {
      return id + ": deleted " + deletedAt + ", verified " + verified + ", published " + published;
    }
    if (written == null || deletedAt.isBefore(written)) {
      return id + ": deleted " + deletedAt + ", Vault written " + written;
    }
    return null;
  }

  /**
   * A local activity that completed: the SDK records it as a {@code LocalActivity} marker, written
   * when the workflow task that ran it completes (so no earlier than the step itself), without a
   * failure.
   */
  private static boolean completedLocally(HistoryEvent e) {
    return e.hasMarkerRecordedEventAttributes()
        && e.getMarkerRecordedEventAttributes().getMarkerName().equals("LocalActivity")
        && !e.getMarkerRecordedEventAttributes().hasFailure();
  }

  /** The activity type a local-activity marker names (the SDK writes it as a JSON string). */
  private static String localActivityType(HistoryEvent e) {
    var type = e.getMarkerRecordedEventAttributes().getDetailsMap().get("type");
    if (type == null || type.getPayloadsCount() == 0) {
      return null;
    }
    return type.getPayloads(0).getData().toStringUtf8().replace("\"", "");
  }

  /**
   * No raw key, management key, worker key seed, payload key or Vault token anywhere it must not
   * be.
   */
  private void noKeyValues(List<Workflow> all, List<EmulatedKey> ever) throws Exception {
    Map<String, String> values = new LinkedHashMap<>();
    oldKeys.forEach((id, raw) -> values.put(raw, "old key of " + id));
    values.put(stack.master, "the LiteLLM master key");
    values.put(stack.payloadKey, "the payload key");
    for (JsonNode k : JSON.readTree(stack.keyring.toJson()).path("keys")) {
      values.put(k.path("seed").asText(), "the seed of worker key " + k.path("id").asText());
    }
    values.put(stack.bao.rootToken(), "the Vault token");
    int fixed = values.size() - oldKeys.size();
    List<String> underived = new ArrayList<>();
    Map<String, String> firstRun = new java.util.HashMap<>();
    for (EmulatedKey k : ever) {
      if (k.keyAlias() == null || !k.keyAlias().startsWith("keyturn-")) {
        continue;
      }
      String wf = String.valueOf(k.metadata().get("keyturn_workflow_id"));
      String run =
          firstRun.computeIfAbsent(
              wf,
              w -> {
                try {
                  return history(w, "")
                      .get(0)
                      .getWorkflowExecutionStartedEventAttributes()
                      .getFirstExecutionRunId();
                } catch (RuntimeException e) {
                  return "";
                }
              });
      // Mint binds each derivation to the worker key current then; the suite never rotates the
      // keyring, but trying every key held costs nothing.
      String found = null;
      for (KeyDerivation d : stack.keyring.bindings(new KeyDerivation(wf, k.keyAlias(), run))) {
        String raw = stack.keyring.deriveKey(d);
        if (KeyMaterial.tokenHash(raw).equals(k.tokenHash())) {
          found = raw;
          break;
        }
      }
      if (found != null) {
        values.put(found, "new key " + k.keyAlias());
      } else {
        underived.add(k.keyAlias());
      }
    }
    String derivedNote =
        (values.size() - oldKeys.size() - fixed)
            + " minted keys re-derived"
            + (underived.isEmpty() ? "" : "; NOT re-derived (not searched): " + underived);

    List<String> rawLeaks = new ArrayList<>();
    List<String> decodedLeaks = new ArrayList<>();
    int rawControl = 0;
    int decodedControl = 0;
    for (Workflow w : all) {
      CommandResult raw = showHistory(w);
      CommandResult decoded =
          showHistory(
              w,
              "--codec-endpoint",
              "http://127.0.0.1:" + codecPort,
              "--codec-auth",
              "Bearer " + codecToken);
      rawLeaks.addAll(leaks(w.id() + " (raw)", raw.output(), values));
      decodedLeaks.addAll(leaks(w.id() + " (decoded)", decoded.output(), values));
      // Positive controls: the raw history is the real one; the decoded one was decoded.
      if (raw.succeeded() && raw.output().contains("keyturn-rotations")) {
        rawControl++;
      }
      if (decoded.succeeded() && forms("tokenHash").stream().anyMatch(decoded.output()::contains)) {
        decodedControl++;
      }
    }
    List<String> rawProblems = new ArrayList<>(rawLeaks);
    if (rawControl != all.size()) {
      rawProblems.add((all.size() - rawControl) + " histories not read");
    }
    if (!underived.isEmpty()) {
      rawProblems.add("minted keys not re-derived: " + underived);
    }
    rows.add(
        row(
            "no key value in raw histories (temporal workflow show, no codec)",
            rawProblems,
            all.size()
                + " histories, "
                + values.size()
                + " values in plain and base64; "
                + derivedNote));
    List<String> decodedProblems = new ArrayList<>(decodedLeaks);
    if (decodedControl != all.size()) {
      decodedProblems.add((all.size() - decodedControl) + " histories not decoded");
    }
    rows.add(
        row(
            "no key value in histories decoded through the worker's codec endpoint",
            decodedProblems,
            decodedControl + " histories decoded"));
    String workerLog = stack.worker.log();
    rows.add(
        row(
            "no key value in the worker log",
            leaks("worker log", workerLog, values),
            workerLog.length() / 1024 + " KiB, every worker start"));
    String cli = Files.exists(cliLog) ? Files.readString(cliLog) : "";
    rows.add(
        row(
            "no key value in CLI output",
            leaks("CLI output", cli, values),
            cliRuns.get() + " CLI runs, " + cli.length() / 1024 + " KiB"));
  }

  private void info() throws IOException {
    Map<String, Integer> injected = new TreeMap<>();
    for (CallRecord c : stack.litellm.calls()) {
      if (c.injected() != null) {
        injected.merge(c.injected() + " " + c.route(), 1, Integer::sum);
      }
    }
    rows.add(new Row("faults injected (emulator call log)", Outcome.INFO, injected.toString()));
    long startupKills = killLog.stream().filter(s -> s.startsWith("start-up")).count();
    rows.add(
        new Row(
            "worker SIGKILLs",
            Outcome.INFO,
            killLog.size() + " (" + startupKills + " during start-up): " + killLog));
    rows.add(new Row("Temporal server kill", Outcome.INFO, temporalKill));
    synchronized (cliFailures) {
      rows.add(
          new Row(
              "CLI runs that failed (re-run, up to 5 times)",
              Outcome.INFO,
              cliFailed.get()
                  + " of "
                  + cliRuns.get()
                  + (cliFailures.isEmpty()
                      ? ""
                      : ": " + cliFailures.stream().distinct().limit(3).toList())));
    }
    String workerLog = stack.worker.log();
    rows.add(
        new Row(
            "worker log: potential deadlock (TMPRL1101) lines",
            Outcome.INFO,
            "" + workerLog.lines().filter(l -> l.contains("TMPRL1101")).count()));
  }

  // ------------------------------------------------------------------ helpers

  private static String shortStatus(Workflow w) {
    return w.status().name().replace("WORKFLOW_EXECUTION_STATUS_", "");
  }

  private static Row row(String invariant, List<String> violations, String details) {
    if (violations.isEmpty()) {
      return new Row(invariant, Outcome.PASS, details);
    }
    List<String> shown = violations.stream().limit(6).toList();
    return new Row(
        invariant,
        Outcome.FAIL,
        violations.size()
            + " violation(s): "
            + String.join("; ", shown)
            + (violations.size() > shown.size() ? "; ..." : "")
            + " ("
            + details
            + ")");
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> out = new ArrayList<>(a);
    out.addAll(b);
    return out;
  }

  /** The value itself and its base64 at each of the three byte alignments (standard, url-safe). */
  static List<String> forms(String value) {
    List<String> out = new ArrayList<>();
    out.add(value);
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    for (int offset = 0; offset < 3; offset++) {
      byte[] padded = new byte[offset + bytes.length];
      System.arraycopy(bytes, 0, padded, offset, bytes.length);
      String b64 = Base64.getEncoder().encodeToString(padded);
      // Drop the characters the neighbouring bytes change: the first group and the last.
      String core = b64.substring(offset == 0 ? 0 : 4, b64.length() - 4);
      if (core.length() >= 8) {
        out.add(core);
        out.add(core.replace('+', '-').replace('/', '_'));
      }
    }
    return out;
  }

  /** {@code temporal workflow show} of one run, as JSON, with {@code more} options. */
  private CommandResult showHistory(Workflow w, String... more) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "workflow",
                "show",
                "--workflow-id",
                w.id(),
                "--run-id",
                w.runId(),
                "--output",
                "json"));
    args.addAll(List.of(more));
    return stack.temporal.cli(args.toArray(String[]::new));
  }

  static List<String> leaks(String where, String text, Map<String, String> values) {
    List<String> found = new ArrayList<>();
    values.forEach(
        (value, label) -> {
          List<String> f = forms(value);
          if (text.contains(value)) {
            found.add(label + " in " + where);
          } else if (f.stream().skip(1).anyMatch(text::contains)) {
            found.add(label + " (base64) in " + where);
          }
        });
    return found;
  }

  private static boolean isMintedFor(EmulatedKey k, String id) {
    return k.keyAlias() != null && k.keyAlias().startsWith("keyturn-" + id + "-g");
  }

  private List<EmulatedKey> liveFor(String id) {
    return stack.litellm.liveKeys().stream()
        .filter(k -> id.equals(k.keyAlias()) || isMintedFor(k, id))
        .toList();
  }

  private List<EmulatedKey> everKeys() {
    List<EmulatedKey> all = new ArrayList<>(stack.litellm.liveKeys());
    all.addAll(stack.litellm.deletedKeys());
    return all;
  }

  private boolean isLive(String hash) {
    return stack.litellm.liveKeys().stream().anyMatch(k -> k.tokenHash().equals(hash));
  }

  private JsonNode vault(String path) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(stack.bao.address() + "/v1/secret/" + path))
                .header("X-Vault-Token", stack.bao.rootToken())
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    return r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
  }

  /** The token hash of the key Vault holds for {@code id} now, or null. */
  private String vaultKeyHash(String id) throws Exception {
    JsonNode n = vault("data/litellm/" + id);
    String key = n == null ? null : n.path("data").path("data").path("key").asText(null);
    return key == null ? null : KeyMaterial.tokenHash(key);
  }

  /** When Vault first held a key for {@code id} (its first version's created_time), or null. */
  private Instant vaultFirstWrite(String id) throws Exception {
    JsonNode n = vault("metadata/litellm/" + id);
    if (n == null) {
      return null;
    }
    Instant first = null;
    for (JsonNode v : n.path("data").path("versions")) {
      Instant t = Instant.parse(v.path("created_time").asText());
      first = first == null || t.isBefore(first) ? t : first;
    }
    return first;
  }

  /** Every rotation workflow whose id starts with {@code rotation/<idPrefix>}, every run. */
  private List<Workflow> workflows(String idPrefix) {
    List<Workflow> out = new ArrayList<>();
    for (WorkflowExecutionInfo i :
        stack.list("WorkflowId STARTS_WITH 'rotation/" + idPrefix + "'")) {
      out.add(
          new Workflow(
              i.getExecution().getWorkflowId(), i.getExecution().getRunId(), i.getStatus()));
    }
    out.sort(Comparator.comparing(Workflow::id));
    return out;
  }

  private List<HistoryEvent> history(String workflowId, String runId) {
    List<HistoryEvent> events = new ArrayList<>();
    com.google.protobuf.ByteString page = com.google.protobuf.ByteString.EMPTY;
    for (int pages = 0; pages < 100; pages++) {
      GetWorkflowExecutionHistoryResponse r =
          stack
              .stubs
              .blockingStub()
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .getWorkflowExecutionHistory(
                  GetWorkflowExecutionHistoryRequest.newBuilder()
                      .setNamespace("default")
                      .setExecution(
                          WorkflowExecution.newBuilder()
                              .setWorkflowId(workflowId)
                              .setRunId(runId)
                              .build())
                      .setNextPageToken(page)
                      .build());
      events.addAll(r.getHistory().getEventsList());
      page = r.getNextPageToken();
      if (page.isEmpty()) {
        break;
      }
    }
    return events;
  }

  /** Runs the real CLI; its output goes to cli.log (and is searched for key values). */
  private CommandResult cli(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(
        List.of("-jar", System.getProperty("keyturn.starter.jar", "starter/target/keyturn.jar")));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment()
        .keySet()
        .removeIf(
            k -> Stream.of("TEMPORAL_", "KEYTURN_", "LITELLM_", "VAULT_").anyMatch(k::startsWith));
    pb.environment().putAll(stack.cliEnv());
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    cliRuns.incrementAndGet();
    String output;
    int exit;
    try {
      Path o = Files.createTempFile(dir, "cli", ".out");
      pb.redirectOutput(o.toFile());
      Process p = pb.start();
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
      exit = p.isAlive() ? -1 : p.exitValue();
      output = Files.readString(o);
      Files.delete(o);
    } catch (IOException e) {
      exit = -1;
      output = e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      exit = -1;
      output = "interrupted";
    }
    String shown = "keyturn " + String.join(" ", args);
    synchronized (this) {
      try {
        Files.writeString(
            cliLog,
            "$ "
                + shown
                + "\n"
                + output
                + (output.endsWith("\n") ? "" : "\n")
                + "exit "
                + exit
                + "\n",
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
      } catch (IOException e) {
        System.err.println("cannot write " + cliLog + ": " + e.getMessage());
      }
    }
    if (exit != 0) {
      cliFailed.incrementAndGet();
      synchronized (cliFailures) {
        cliFailures.add(
            "exit " + exit + ": " + oneLine(output.strip()).replaceAll("(.{0,140}).*", "$1"));
      }
    }
    return new CommandResult(exit, output);
  }

  private String table() {
    StringBuilder b = new StringBuilder();
    b.append("| invariant | result | details |\n|---|---|---|\n");
    for (Row r : rows) {
      b.append("| ")
          .append(r.invariant().replace("|", "/"))
          .append(" | ")
          .append(r.outcome())
          .append(" | ")
          .append(r.details().replace("|", "/"))
          .append(" |\n");
    }
    long failed = rows.stream().filter(r -> r.outcome() == Outcome.FAIL).count();
    b.append("\n").append(failed == 0 ? "0 violations" : failed + " invariant(s) violated");
    return b.toString();
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replaceAll("\\s+", " ");
  }

  private static void log(String line) {
    System.out.println("[chaos] " + Instant.now().toString().substring(11, 19) + " " + line);
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
