package io.keyturn.starter.schedules;

import io.keyturn.starter.config.MasterKeySpec;
import io.keyturn.starter.config.ProviderKeySpec;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.workflows.MasterKeyLauncherWorkflow;
import io.keyturn.workflows.ProviderKeyLauncherWorkflow;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.RestartSpec;
import io.keyturn.workflows.model.RestartTarget;
import io.keyturn.workflows.operator.OperatorRotationLauncherWorkflow;
import io.keyturn.workflows.operator.OperatorRotationRequest;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleDescription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Schedules of the rotations that are not plain virtual-key rotations, built like {@link
 * ScheduledRotations}' (same memo, same overlap policy: a run due while the last still runs is
 * skipped):
 *
 * <ul>
 *   <li>a {@code masterKeys:} entry with a {@code schedule:}: schedule {@code
 *       keyturn/master-key/<id>} starts {@link MasterKeyLauncherWorkflow}, which starts {@code
 *       master-key/<id>} (the id {@code master-status} and {@code confirm-restart} address). In the
 *       plan it is listed as {@code master-key/<id>}.
 *   <li>a secret with {@code operator: {virtualKey: ns/name}}: schedule {@code keyturn/<id>} starts
 *       {@link OperatorRotationLauncherWorkflow}, which starts {@code operator-rotation/<id>}, the
 *       rotation {@code keyturn rotate-operator} starts: never a plain rotation, which refuses a
 *       key the operator manages.
 *   <li>a {@code providerKeys:} entry with a {@code schedule:}: schedule {@code
 *       keyturn/provider-key/<model group>} starts {@link ProviderKeyLauncherWorkflow}, which
 *       starts {@code provider-key/<model group>} (the id {@code provide}, {@code provider-status}
 *       and {@code confirm-revoked} address), listed in the plan as {@code provider-key/<model
 *       group>}.
 * </ul>
 */
public final class KindSchedules {
  /** How a master key appears in a plan, and its schedule's id after {@code keyturn/}. */
  public static final String MASTER_PREFIX = "master-key/";

  /** How a provider key appears in a plan: its workflow id, {@code provider-key/<group>}. */
  public static final String PROVIDER_PREFIX = ProviderKeyRequest.WORKFLOW_PREFIX;

  private KindSchedules() {}

  /** The plan's id of a master key: {@code master-key/<id>}. */
  public static String planId(MasterKeySpec m) {
    return MASTER_PREFIX + m.id();
  }

  public static String scheduleId(MasterKeySpec m) {
    return ScheduledRotations.scheduleId(planId(m));
  }

  /** Everything that shapes a master key's schedule and its rotations, except paused. */
  static Map<String, Object> canonical(MasterKeySpec m) {
    Map<String, Object> o = new TreeMap<>();
    o.put("kind", "master-key");
    o.put("id", m.id());
    o.put("gateway", m.gateway());
    List<Object> dests = new ArrayList<>();
    for (Destination d : m.destinations()) {
      Map<String, Object> dm = new TreeMap<>(d.settings());
      dm.put("type", d.type());
      dests.add(dm);
    }
    o.put("destinations", dests);
    o.put("saltKey", m.saltKey());
    RestartSpec r = m.restart();
    Map<String, Object> rm = new TreeMap<>();
    rm.put("mode", r.mode());
    rm.put("url", r.url() == null ? "" : r.url());
    rm.put("deployment", r.deployment() == null ? "" : r.deployment());
    rm.put("namespace", r.namespace() == null ? "" : r.namespace());
    rm.put("context", r.context() == null ? "" : r.context());
    rm.put("deadline", r.deadline() == null ? "" : Durations.format(r.deadline()));
    o.put("restart", rm);
    List<Object> also = new ArrayList<>();
    for (RestartTarget t : m.alsoRestart()) {
      also.add(
          t.deployment()
              + " "
              + (t.namespace() == null ? "" : t.namespace())
              + " "
              + (t.context() == null ? "" : t.context()));
    }
    o.put("alsoRestart", also);
    o.put("schedule", scheduleText(m.schedule()));
    return o;
  }

  static String canonicalJson(MasterKeySpec m) {
    return ScheduledRotations.json(canonical(m));
  }

  static String hash(MasterKeySpec m) {
    return ScheduledRotations.sha256(canonicalJson(m));
  }

  static String scheduleText(SecretSpec.Schedule sc) {
    return new SecretSpec.Schedule(sc.every(), sc.cron(), sc.timezone(), sc.jitter(), false)
        .describe();
  }

  /** The plan's description of a master key's schedule; says when a run waits for an operator. */
  static String describe(MasterKeySpec m) {
    return "master-key rotation "
        + scheduleText(m.schedule())
        + "; restart "
        + m.restart().mode()
        + (m.waitsForOperator()
            ? " (each run waits for `keyturn confirm-restart "
                + m.request("").workflowId()
                + "` once every replica restarted, deadline "
                + Durations.format(m.restart().deadline())
                + ")"
            : "")
        + (m.schedule().paused() ? "; paused" : "");
  }

  /** The schedule of a master key. */
  public static Schedule schedule(MasterKeySpec m, boolean paused, String note) {
    MasterKeyRequest request = m.request("schedule " + scheduleId(m));
    return ScheduledRotations.build(
        m.schedule(),
        MasterKeyLauncherWorkflow.class,
        "launch/" + planId(m) + "/scheduled",
        memo(hash(m), canonicalJson(m)),
        request,
        paused,
        note);
  }

  /** Memo of a new master-key schedule: marks it as Keyturn's. */
  public static Map<String, Object> scheduleMemo(MasterKeySpec m) {
    Map<String, Object> memo = new LinkedHashMap<>();
    memo.put(ScheduledRotations.MEMO_MANAGED, "true");
    memo.put(ScheduledRotations.MEMO_SECRET_ID, planId(m));
    return memo;
  }

  /** The plan's id of a provider key: {@code provider-key/<model group>}. */
  public static String planId(ProviderKeySpec p) {
    return p.workflowId();
  }

  public static String scheduleId(ProviderKeySpec p) {
    return ScheduledRotations.scheduleId(planId(p));
  }

  /** Everything that shapes a provider key's schedule and its rotations, except paused. */
  static Map<String, Object> canonical(ProviderKeySpec p) {
    Map<String, Object> o = new TreeMap<>();
    o.put("kind", "provider-key");
    o.put("id", p.id());
    o.put("gateway", p.gateway());
    o.put("modelGroup", p.modelGroup());
    o.put("provider", p.provider());
    o.put("settings", new TreeMap<>(p.request("").settings()));
    o.put("overlap", Durations.format(p.overlap()));
    o.put("grace", Durations.format(p.grace()));
    o.put("keyDeadline", Durations.format(p.keyDeadline()));
    if (p.secretStore() != null) {
      Map<String, Object> store = new TreeMap<>();
      List<Object> dests = new ArrayList<>();
      for (Destination d : p.secretStore().destinations()) {
        Map<String, Object> dm = new TreeMap<>(d.settings());
        dm.put("type", d.type());
        dests.add(dm);
      }
      store.put("destinations", dests);
      store.put("proxyCache", Durations.format(p.secretStore().proxyCache()));
      o.put("secretStore", store);
    }
    o.put("schedule", scheduleText(p.schedule()));
    return o;
  }

  static String canonicalJson(ProviderKeySpec p) {
    return ScheduledRotations.json(canonical(p));
  }

  static String hash(ProviderKeySpec p) {
    return ScheduledRotations.sha256(canonicalJson(p));
  }

  /** The plan's description of a provider key's schedule; says when a run waits for a person. */
  static String describe(ProviderKeySpec p) {
    return "provider-key rotation of model group '"
        + p.modelGroup()
        + "' "
        + scheduleText(p.schedule())
        + "; provider "
        + p.provider()
        + (p.waitsForKey()
            ? " (each run waits for `keyturn provide "
                + p.workflowId()
                + " --key-file F` until its key deadline "
                + Durations.format(p.keyDeadline())
                + ", then fails changing nothing; and for `keyturn confirm-revoked` after the"
                + " grace)"
            : "")
        + "; overlap "
        + Durations.format(p.overlap())
        + ", grace "
        + Durations.format(p.grace())
        + (p.schedule().paused() ? "; paused" : "");
  }

  /** The schedule of a provider key. */
  public static Schedule schedule(ProviderKeySpec p, boolean paused, String note) {
    return ScheduledRotations.build(
        p.schedule(),
        ProviderKeyLauncherWorkflow.class,
        "launch/" + planId(p) + "/scheduled",
        memo(hash(p), canonicalJson(p)),
        p.request("schedule " + scheduleId(p)),
        paused,
        note);
  }

  /** Memo of a new provider-key schedule: marks it as Keyturn's. */
  public static Map<String, Object> scheduleMemo(ProviderKeySpec p) {
    Map<String, Object> memo = new LinkedHashMap<>();
    memo.put(ScheduledRotations.MEMO_MANAGED, "true");
    memo.put(ScheduledRotations.MEMO_SECRET_ID, planId(p));
    return memo;
  }

  /** The rotation through the operator a schedule of {@code s} starts. */
  public static OperatorRotationRequest operatorRequest(SecretSpec s, String requestedBy) {
    return new OperatorRotationRequest(
        s.id(),
        s.gatewayUrl(),
        s.operatorVirtualKey(),
        s.destinations().stream().map(SecretSpec.Destination::toDestination).toList(),
        s.grace(),
        requestedBy);
  }

  /** The schedule of a secret the LiteLLM operator manages. */
  static Schedule operatorSchedule(SecretSpec s, boolean paused, String note) {
    return ScheduledRotations.build(
        s.schedule(),
        OperatorRotationLauncherWorkflow.class,
        "launch/operator/" + s.id() + "/scheduled",
        memo(ScheduledRotations.hash(s), ScheduledRotations.canonicalJson(s)),
        operatorRequest(s, "schedule " + ScheduledRotations.scheduleId(s.id())),
        paused,
        note);
  }

  /**
   * The id of the workflow a Keyturn schedule's launcher starts: {@code master-key/<id>} for a
   * master key's, {@code provider-key/<group>} for a provider key's, {@code operator-rotation/<id>}
   * for a rotation through the operator, else {@code rotation/<id>}.
   */
  public static String startedId(String secretId, ScheduleDescription d) {
    if (secretId.startsWith(MASTER_PREFIX) || secretId.startsWith(PROVIDER_PREFIX)) {
      return secretId;
    }
    if (d.getSchedule().getAction() instanceof ScheduleActionStartWorkflow a
        && "OperatorRotationLauncher".equals(a.getWorkflowType())) {
      return OperatorRotationLauncherWorkflow.WORKFLOW_PREFIX + secretId;
    }
    return ScheduledRotations.rotationId(secretId);
  }

  private static Map<String, Object> memo(String hash, String json) {
    Map<String, Object> memo = new LinkedHashMap<>();
    memo.put(ScheduledRotations.MEMO_SPEC_HASH, hash);
    memo.put(ScheduledRotations.MEMO_SPEC, json);
    return memo;
  }
}
