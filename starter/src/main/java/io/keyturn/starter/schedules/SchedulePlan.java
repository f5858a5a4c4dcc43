package io.keyturn.starter.schedules;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.config.MasterKeySpec;
import io.keyturn.starter.config.ProviderKeySpec;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.workflows.model.Durations;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleHandle;
import io.temporal.client.schedules.ScheduleListDescription;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code keyturn apply} would change to make Temporal's schedules match a configuration. Reads
 * schedules only; never a key. A secret in the file is compared by describing its schedule (always
 * current); schedules of secrets no longer in the file are found by listing (Temporal's visibility
 * store, which may lag a second behind).
 */
public final class SchedulePlan {

  /** What happens to one schedule. */
  public enum Action {
    CREATE("+", "create"),
    UPDATE("~", "update"),
    PAUSE("~", "pause"),
    UNPAUSE("~", "unpause"),
    UNCHANGED("=", "unchanged"),
    DELETE("-", "delete"),
    /** Its secret left the file and --prune was not given: the schedule stays. */
    KEEP("!", "keep"),
    /** A schedule with this id exists that Keyturn did not create: left alone, apply refuses. */
    CONFLICT("!", "conflict");

    public final String sign;
    public final String word;

    Action(String sign, String word) {
      this.sign = sign;
      this.word = word;
    }

    boolean changes() {
      return this == CREATE || this == UPDATE || this == PAUSE || this == UNPAUSE || this == DELETE;
    }
  }

  /**
   * One line of the plan.
   *
   * @param secretId the secret's id, or {@code master-key/<id>} for a master key, or {@code
   *     provider-key/<group>} for a provider key
   * @param spec the secret as declared, null for DELETE and KEEP and for a master or provider key
   * @param fields for UPDATE, the fields that changed (including "paused")
   * @param master the master key as declared, for a master key's schedule (else null)
   * @param provider the provider key as declared, for a provider key's schedule (else null)
   */
  public record Change(
      String secretId,
      String scheduleId,
      Action action,
      List<String> fields,
      String detail,
      SecretSpec spec,
      MasterKeySpec master,
      ProviderKeySpec provider) {

    public Change(
        String secretId,
        String scheduleId,
        Action action,
        List<String> fields,
        String detail,
        SecretSpec spec) {
      this(secretId, scheduleId, action, List.copyOf(fields), detail, spec, null, null);
    }

    /** Whether the file declares this schedule paused. */
    public boolean pausedInFile() {
      return master != null
          ? master.schedule().paused()
          : provider != null ? provider.schedule().paused() : spec.schedule().paused();
    }

    /** Whether the schedule starts a plain rotation of a secret (which carries its key). */
    public boolean isSecret() {
      return master == null && provider == null;
    }
  }

  /** One schedule the file declares, whatever starts it. */
  private record Target(
      String planId,
      String scheduleId,
      boolean paused,
      String what,
      String hash,
      String canonicalJson,
      SecretSpec spec,
      MasterKeySpec master,
      ProviderKeySpec provider) {

    Change change(Action a, List<String> fields, String detail) {
      return new Change(planId, scheduleId, a, fields, detail, spec, master, provider);
    }
  }

  private final List<Change> changes;

  private SchedulePlan(List<Change> changes) {
    this.changes = List.copyOf(changes);
  }

  /** Compares the file's secrets with the schedules in Temporal. */
  public static SchedulePlan compute(
      ScheduleClient schedules, List<SecretSpec> specs, boolean prune) {
    return compute(schedules, specs, List.of(), prune);
  }

  /**
   * Compares the file's secrets and its master keys that have a {@code schedule:} with the
   * schedules in Temporal (a master key without one has no schedule, and a schedule left from one
   * that had is reported like a removed secret's).
   */
  public static SchedulePlan compute(
      ScheduleClient schedules,
      List<SecretSpec> specs,
      List<MasterKeySpec> masterKeys,
      boolean prune) {
    return compute(schedules, specs, masterKeys, List.of(), prune);
  }

  /**
   * As above, and the file's provider keys that have a {@code schedule:} (listed as {@code
   * provider-key/<model group>}).
   */
  public static SchedulePlan compute(
      ScheduleClient schedules,
      List<SecretSpec> specs,
      List<MasterKeySpec> masterKeys,
      List<ProviderKeySpec> providerKeys,
      boolean prune) {
    List<Change> out = new ArrayList<>();
    Set<String> declared = new java.util.HashSet<>();
    for (SecretSpec s : specs) {
      declared.add(s.id());
      out.add(compare(schedules, target(s)));
    }
    for (MasterKeySpec m : masterKeys) {
      if (m.schedule() != null) {
        declared.add(KindSchedules.planId(m));
        out.add(compare(schedules, target(m)));
      }
    }
    for (ProviderKeySpec p : providerKeys) {
      if (p.schedule() != null) {
        declared.add(KindSchedules.planId(p));
        out.add(compare(schedules, target(p)));
      }
    }
    Map<String, String> orphans = new TreeMap<>();
    try (var listed = schedules.listSchedules(null)) {
      listed.forEach(
          d -> {
            String secretId = managedSecretId(d);
            if (secretId != null && !declared.contains(secretId)) {
              orphans.put(d.getScheduleId(), secretId);
            }
          });
    }
    orphans.forEach(
        (scheduleId, secretId) -> {
          // The list may lag behind a delete: confirm with describe.
          if (describe(schedules.getHandle(scheduleId)).isEmpty()) {
            return;
          }
          out.add(
              prune
                  ? new Change(
                      secretId,
                      scheduleId,
                      Action.DELETE,
                      List.of(),
                      "not in the file any more (--prune): the schedule is deleted; its keys and"
                          + " past rotations are not touched",
                      null)
                  : new Change(
                      secretId,
                      scheduleId,
                      Action.KEEP,
                      List.of(),
                      "not in the file any more: schedule left in place (pass --prune to delete"
                          + " it; keys are never deleted by Keyturn)",
                      null));
        });
    return new SchedulePlan(out);
  }

  private static Target target(SecretSpec s) {
    boolean paused = s.schedule().paused();
    String what =
        (s.operatorVirtualKey() != null
                ? "rotation through the operator (VirtualKey " + s.operatorVirtualKey() + ") "
                : "")
            + ScheduledRotations.scheduleText(s)
            + "; grace "
            + Durations.format(s.grace())
            + (paused ? "; paused" : "");
    return new Target(
        s.id(),
        ScheduledRotations.scheduleId(s.id()),
        paused,
        what,
        ScheduledRotations.hash(s),
        ScheduledRotations.canonicalJson(s),
        s,
        null,
        null);
  }

  private static Target target(MasterKeySpec m) {
    return new Target(
        KindSchedules.planId(m),
        KindSchedules.scheduleId(m),
        m.schedule().paused(),
        KindSchedules.describe(m),
        KindSchedules.hash(m),
        KindSchedules.canonicalJson(m),
        null,
        m,
        null);
  }

  private static Target target(ProviderKeySpec p) {
    return new Target(
        KindSchedules.planId(p),
        KindSchedules.scheduleId(p),
        p.schedule().paused(),
        KindSchedules.describe(p),
        KindSchedules.hash(p),
        KindSchedules.canonicalJson(p),
        null,
        null,
        p);
  }

  private static Change compare(ScheduleClient schedules, Target t) {
    String id = t.scheduleId();
    boolean paused = t.paused();
    Optional<ScheduleDescription> found = describe(schedules.getHandle(id));
    String what = t.what();
    if (found.isEmpty()) {
      return t.change(Action.CREATE, List.of(), what);
    }
    ScheduleDescription d = found.get();
    if (!"true".equals(memo(d.getMemo(ScheduledRotations.MEMO_MANAGED, String.class)))) {
      return t.change(
          Action.CONFLICT,
          List.of(),
          "a schedule with this id exists that keyturn apply did not create: delete or rename it"
              + " (temporal schedule delete --schedule-id "
              + id
              + "), or change the secret's id");
    }
    Map<String, Object> actionMemo =
        d.getSchedule().getAction() instanceof ScheduleActionStartWorkflow a
                && a.getOptions().getMemo() != null
            ? a.getOptions().getMemo()
            : Map.of();
    String hash = ScheduledRotations.memoText(actionMemo.get(ScheduledRotations.MEMO_SPEC_HASH));
    boolean isPaused = d.getSchedule().getState().isPaused();
    if (!t.hash().equals(hash)) {
      String before = ScheduledRotations.memoText(actionMemo.get(ScheduledRotations.MEMO_SPEC));
      List<String> fields =
          new ArrayList<>(
              before == null
                  ? List.of("spec")
                  : ScheduledRotations.changedFields(before, t.canonicalJson()));
      if (isPaused != paused) {
        fields.add("paused");
      }
      return t.change(Action.UPDATE, fields, what);
    }
    if (isPaused != paused) {
      return t.change(
          paused ? Action.PAUSE : Action.UNPAUSE,
          List.of("paused"),
          paused
              ? "the file says paused: true"
              : "paused in Temporal ("
                  + d.getSchedule().getState().getNote()
                  + ") but not in the file: write paused: true to keep it paused");
    }
    return t.change(Action.UNCHANGED, List.of(), what);
  }

  /** The secret id of a schedule Keyturn manages, or null for any other schedule. */
  public static String managedSecretId(ScheduleListDescription d) {
    if (ScheduledRotations.secretId(d.getScheduleId()) == null) {
      return null;
    }
    if (!"true".equals(memo(d.getMemo(ScheduledRotations.MEMO_MANAGED, String.class)))) {
      return null;
    }
    String id = memo(d.getMemo(ScheduledRotations.MEMO_SECRET_ID, String.class));
    return id == null ? ScheduledRotations.secretId(d.getScheduleId()) : id;
  }

  private static String memo(Object o) {
    return ScheduledRotations.memoText(o);
  }

  /** The schedule's description, or empty when there is no such schedule. */
  public static Optional<ScheduleDescription> describe(ScheduleHandle h) {
    try {
      return Optional.of(h.describe());
    } catch (RuntimeException e) {
      StatusRuntimeException g = TemporalCommand.grpcCause(e);
      if (g != null && g.getStatus().getCode() == Status.Code.NOT_FOUND) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** Every line of the plan, in order. */
  public List<Change> changes() {
    return changes;
  }

  public boolean hasChanges() {
    return changes.stream().anyMatch(c -> c.action().changes());
  }

  public List<Change> of(Action a) {
    return changes.stream().filter(c -> c.action() == a).toList();
  }

  public Map<String, Integer> summary() {
    Map<String, Integer> m = new LinkedHashMap<>();
    for (Action a : Action.values()) {
      m.put(a.word, of(a).size());
    }
    return m;
  }
}
