package io.keyturn.starter.schedules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.starter.config.ConfigProblem;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.RotationLauncherWorkflow;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerPublicKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import io.temporal.client.schedules.SchedulePolicy;
import io.temporal.client.schedules.ScheduleSpec;
import io.temporal.client.schedules.ScheduleState;
import io.temporal.common.converter.EncodedValues;
import io.temporal.failure.ApplicationFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * How a {@link SecretSpec} becomes a Temporal Schedule, and how a schedule is recognised as one
 * Keyturn manages.
 *
 * <ul>
 *   <li>Schedule id {@code keyturn/<id>}; its memo {@code keyturn-managed: true} and {@code
 *       keyturn-secret-id} (set at creation; Temporal cannot update a schedule's memo).
 *   <li>Action: start {@code KeyRotation} on {@link KeyRotationWorkflow#TASK_QUEUE} with workflow
 *       id {@code rotation/<id>/scheduled} (Temporal appends the scheduled time) and a {@link
 *       RotationRequest} of generation 0 (the workflow assigns one from its start time) that chains
 *       from the primary destination. The started workflow's memo carries the spec's canonical JSON
 *       and its sha256, so plan sees what changed without reading any key.
 *   <li>Overlap: {@link ScheduleOverlapPolicy#SCHEDULE_OVERLAP_POLICY_SKIP}. A rotation still in
 *       its grace period blocks the next one instead of queueing it: two rotations of one secret
 *       would race for the same destination and the second would replace a key applications have
 *       not picked up yet. The configuration requires grace shorter than the interval, so a skip
 *       only happens when a rotation is stuck (a worker down, a failing store), which then shows in
 *       {@code keyturn list}.
 * </ul>
 */
public final class ScheduledRotations {
  static final String SCHEDULE_PREFIX = "keyturn/";
  static final String MEMO_MANAGED = "keyturn-managed";
  static final String MEMO_SECRET_ID = "keyturn-secret-id";
  public static final String MEMO_SPEC = "keyturn-spec";
  static final String MEMO_SPEC_HASH = "keyturn-spec-hash";

  /** Keys sorted, so equal specs give equal text and equal hashes. */
  private static final ObjectMapper CANONICAL =
      new ObjectMapper().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private ScheduledRotations() {}

  public static String scheduleId(String secretId) {
    return SCHEDULE_PREFIX + secretId;
  }

  /** The secret id of a schedule id, or null when the id is not one of Keyturn's. */
  static String secretId(String scheduleId) {
    return scheduleId.startsWith(SCHEDULE_PREFIX)
        ? scheduleId.substring(SCHEDULE_PREFIX.length())
        : null;
  }

  /** The id every rotation of a secret runs under, whoever started it. */
  public static String rotationId(String secretId) {
    return RotationRequest.workflowId(secretId);
  }

  /**
   * The id of the launcher a schedule starts (Temporal appends "-" and the scheduled time); the
   * launcher starts {@link #rotationId} and returns its result.
   */
  static String scheduledWorkflowId(String secretId) {
    return "launch/" + secretId + "/scheduled";
  }

  /**
   * The spec as sorted plain values: everything that shapes the schedule and its rotations except
   * the paused state (reconciled on its own) and the declaring file. Keys appear as where they are
   * read (variable names, paths, hashes), never as values.
   */
  static Map<String, Object> canonical(SecretSpec s) {
    Map<String, Object> m = new TreeMap<>();
    m.put("id", s.id());
    m.put("description", s.description() == null ? "" : s.description());
    m.put("gateway", s.gatewayUrl());
    m.put("managementKey", s.managementKey() == null ? "" : s.managementKey().describe());
    m.put("currentKey", s.currentKey() == null ? "" : s.currentKey().describe());
    Map<String, Object> policy = new TreeMap<>(s.policy().fields());
    if (s.policy().importFrom() != null) {
      policy.put("import", s.policy().importFrom().describe());
    } else if (s.policy().importCurrent()) {
      policy.put("import", "current");
    }
    m.put("policy", policy);
    List<Object> dests = new ArrayList<>();
    for (SecretSpec.Destination d : s.destinations()) {
      Map<String, Object> dm = new TreeMap<>(d.settings());
      dm.put("type", d.type());
      dests.add(dm);
    }
    m.put("destinations", dests);
    m.put("schedule", scheduleText(s));
    m.put("grace", Durations.format(s.grace()));
    m.put("verifyModels", s.verifyModels());
    if (s.drain() != null) {
      m.put("drain", s.drain().describe());
    }
    if (s.rotatesManagementKey()) {
      m.put("kind", "management-key");
    }
    if (s.operatorVirtualKey() != null) {
      m.put("operator", s.operatorVirtualKey());
    }
    return m;
  }

  /** "every 30d, jitter 1h" or "cron '0 3 * * 1' Europe/Paris": the when, without paused. */
  static String scheduleText(SecretSpec s) {
    SecretSpec.Schedule sc = s.schedule();
    return new SecretSpec.Schedule(sc.every(), sc.cron(), sc.timezone(), sc.jitter(), false)
        .describe();
  }

  static String canonicalJson(SecretSpec s) {
    return json(canonical(s));
  }

  static String json(Object o) {
    try {
      return CANONICAL.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the spec as JSON", e);
    }
  }

  static String hash(SecretSpec s) {
    return sha256(canonicalJson(s));
  }

  static String sha256(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The top-level fields of two canonical specs that differ, in order. */
  static List<String> changedFields(String oldCanonicalJson, SecretSpec now) {
    return changedFields(oldCanonicalJson, canonicalJson(now));
  }

  /** The top-level fields of two canonical JSON texts that differ, in order. */
  @SuppressWarnings("unchecked")
  static List<String> changedFields(String oldCanonicalJson, String nowCanonicalJson) {
    Map<String, Object> before;
    try {
      before = CANONICAL.readValue(oldCanonicalJson, Map.class);
    } catch (IOException | RuntimeException e) {
      return List.of("spec");
    }
    // Through JSON, so numbers and nested maps compare the same way on both sides.
    Map<String, Object> after;
    try {
      after = CANONICAL.readValue(nowCanonicalJson, Map.class);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    TreeSet<String> keys = new TreeSet<>(before.keySet());
    keys.addAll(after.keySet());
    return keys.stream().filter(k -> !Objects.equals(before.get(k), after.get(k))).toList();
  }

  /**
   * A memo value as the SDK hands it back: a string (a schedule's own memo, decoded by the schedule
   * client's data converter) or encoded values (the memo of a described schedule's action, decoded
   * on {@code get} by that same converter). Memos pass through the payload codec like any payload,
   * so they are only ever read through the client's converter, never a plain one: the commands'
   * {@code ScheduleCommand.schedules} hands the client's converter to the schedule client.
   */
  public static String memoText(Object v) {
    if (v == null) {
      return null;
    }
    if (v instanceof EncodedValues ev) {
      return ev.get(0, String.class);
    }
    return v.toString();
  }

  /**
   * The rotation request the schedule starts. Reads the declared current key (from its variable or
   * file) and seals it to the worker's public key when one is configured; only a hash or a sealed
   * value ever goes to Temporal.
   *
   * @throws BadSpec naming the file and field when the key cannot be read
   */
  public static RotationRequest request(SecretSpec s, Map<String, String> env) {
    KeyRef oldKey = null;
    SealedSecret sealed = null;
    SecretSpec.KeySource ck = s.currentKey();
    if (ck != null) {
      if (ck.keyHash() != null) {
        oldKey = new KeyRef(ck.keyHash(), null);
      } else {
        String value = readKey(s, ck, env);
        oldKey = KeyMaterial.ref(value);
        if (WorkerPublicKey.configured(env)) {
          try {
            sealed = WorkerPublicKey.fromEnvironment(env).seal(value);
          } catch (IllegalArgumentException e) {
            throw new BadSpec(
                new ConfigProblem(
                    s.file(),
                    "secret " + s.id() + ".currentKey",
                    "cannot seal the current key: " + e.getMessage(),
                    "set KEYTURN_WORKER_PUBLIC_KEY or KEYTURN_WORKER_PUBLIC_KEY_FILE to the"
                        + " worker's public key (`keyturn keyring public`)."));
          }
        }
      }
    }
    List<Destination> dests = new ArrayList<>();
    for (SecretSpec.Destination d : s.destinations()) {
      dests.add(d.toDestination());
    }
    KeyPolicy policy;
    if (s.policy().importFrom() != null) {
      // Captured now, from the template key (Phase's "Import config"); written fields win.
      Map<String, Object> merged = new LinkedHashMap<>(templatePolicy(s, env).fields());
      merged.putAll(s.policy().fields());
      policy = new KeyPolicy(merged);
    } else if (s.policy().importCurrent() && s.policy().fields().isEmpty()) {
      policy = null;
    } else {
      policy = new KeyPolicy(s.policy().fields());
    }
    try {
      return RotationRequest.builder(s.id())
          .gatewayUrl(s.gatewayUrl())
          .oldKey(oldKey, sealed)
          .gracePeriod(s.grace())
          .requestedBy("schedule " + scheduleId(s.id()))
          .destinations(dests)
          .policy(policy)
          .chainFromStore(true)
          .verifyModels(s.verifyModels())
          .drain(s.drain())
          .managementKey(s.rotatesManagementKey())
          .build();
    } catch (IllegalArgumentException e) {
      throw new BadSpec(
          new ConfigProblem(s.file(), "secret " + s.id(), e.getMessage(), "see `keyturn schema`."));
    }
  }

  /** The policy of the template key, read with the secret's management key. */
  static KeyPolicy templatePolicy(SecretSpec s, Map<String, String> env) {
    SecretSpec.KeySource t = s.policy().importFrom();
    String field = "secret " + s.id() + ".policy.import";
    KeyRef ref =
        t.keyHash() != null
            ? new KeyRef(t.keyHash(), null)
            : KeyMaterial.ref(readKey(s, t, env, field).strip());
    String mgmt;
    try {
      mgmt = readKey(s, s.managementKey(), env, "secret " + s.id() + ".gateway.managementKey");
    } catch (BadSpec e) {
      throw e;
    }
    try (JsonHttp http = new JsonHttp(Duration.ofSeconds(10))) {
      return new LiteLlmClient(http, mgmt::strip).policyOf(s.gatewayUrl(), ref);
    } catch (ApplicationFailure e) {
      throw new BadSpec(
          new ConfigProblem(
              s.file(),
              field,
              "cannot import the template key's policy: " + e.getOriginalMessage(),
              "check the template key, or write the policy out."));
    }
  }

  private static String readKey(SecretSpec s, SecretSpec.KeySource ck, Map<String, String> env) {
    return readKey(s, ck, env, "secret " + s.id() + ".currentKey");
  }

  private static String readKey(
      SecretSpec s, SecretSpec.KeySource ck, Map<String, String> env, String field) {
    String value;
    try {
      value = ck.read(env);
    } catch (IllegalArgumentException e) {
      throw new BadSpec(
          new ConfigProblem(
              s.file(),
              field,
              e.getMessage() + ".",
              ck.env() != null
                  ? "export the key applications use today in "
                      + ck.env()
                      + ", or declare currentKey: {keyHash: ...}."
                  : "create the file holding only the key (mode 600), or fix the path."));
    }
    if (!KeyMaterial.looksLikeKey(value)) {
      throw new BadSpec(
          new ConfigProblem(
              s.file(),
              field,
              "the value from "
                  + ck.describe()
                  + " does not look like a LiteLLM virtual key (the value is not shown).",
              "put only the key (sk-...) there, or declare currentKey: {keyHash: ...}."));
    }
    return value;
  }

  /**
   * The schedule for a secret, paused or not as asked. A secret the LiteLLM operator manages gets
   * the schedule of its rotation through the operator ({@link KindSchedules}), and no request.
   */
  public static Schedule schedule(
      SecretSpec s, RotationRequest request, boolean paused, String note) {
    if (s.operatorVirtualKey() != null) {
      return KindSchedules.operatorSchedule(s, paused, note);
    }
    Map<String, Object> memo = new LinkedHashMap<>();
    memo.put(MEMO_SPEC_HASH, hash(s));
    memo.put(MEMO_SPEC, canonicalJson(s));
    return build(
        s.schedule(),
        RotationLauncherWorkflow.class,
        scheduledWorkflowId(s.id()),
        memo,
        request,
        paused,
        note);
  }

  /**
   * A schedule that starts {@code workflowType} with {@code argument} on the rotation task queue,
   * skipping a run due while the last still runs.
   */
  static Schedule build(
      SecretSpec.Schedule when,
      Class<?> workflowType,
      String workflowId,
      Map<String, Object> memo,
      Object argument,
      boolean paused,
      String note) {
    ScheduleSpec.Builder spec = ScheduleSpec.newBuilder();
    if (when.every() != null) {
      spec.setIntervals(List.of(new ScheduleIntervalSpec(when.every())));
    } else {
      spec.setCronExpressions(List.of(when.cron())).setTimeZoneName(when.timezone());
    }
    if (!when.jitter().isZero()) {
      spec.setJitter(when.jitter());
    }
    WorkflowOptions options =
        WorkflowOptions.newBuilder()
            .setWorkflowId(workflowId)
            .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
            .setMemo(memo)
            .build();
    return Schedule.newBuilder()
        .setAction(
            ScheduleActionStartWorkflow.newBuilder()
                .setWorkflowType(workflowType)
                .setOptions(options)
                .setArguments(argument)
                .build())
        .setSpec(spec.build())
        .setPolicy(
            SchedulePolicy.newBuilder()
                .setOverlap(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP)
                .build())
        .setState(
            ScheduleState.newBuilder().setPaused(paused).setNote(note == null ? "" : note).build())
        .build();
  }

  /** Memo of a new schedule: marks it as Keyturn's. */
  public static Map<String, Object> scheduleMemo(SecretSpec s) {
    Map<String, Object> memo = new LinkedHashMap<>();
    memo.put(MEMO_MANAGED, "true");
    memo.put(MEMO_SECRET_ID, s.id());
    return memo;
  }

  /** A secret whose schedule cannot be built; the problem names file, field and fix. */
  public static final class BadSpec extends RuntimeException {
    private final ConfigProblem problem;

    BadSpec(ConfigProblem problem) {
      super(problem.toString(), null, false, false);
      this.problem = problem;
    }

    public ConfigProblem problem() {
      return problem;
    }
  }
}
