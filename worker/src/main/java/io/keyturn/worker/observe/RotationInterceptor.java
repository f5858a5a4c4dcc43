package io.keyturn.worker.observe;

import io.keyturn.workflows.KeyRotationWorkflowImpl;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.GraceChange;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.activity.ActivityExecutionContext;
import io.temporal.activity.ActivityInfo;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptor;
import io.temporal.common.interceptors.ActivityInboundCallsInterceptorBase;
import io.temporal.common.interceptors.WorkerInterceptorBase;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptor;
import io.temporal.common.interceptors.WorkflowInboundCallsInterceptorBase;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Workflow;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Watches rotations from the worker's side, so the deterministic workflow code stays as it is: each
 * activity attempt (one step: ImportPolicy, MintKey, VerifyKey, PublishTo, DeleteKey,
 * ConfirmRevoked, DiscardDerivedKey...) is timed and counted with its outcome and failure type, and
 * written as one audit line; each rotation's start and end are counted by secret, outcome and root
 * failure type.
 *
 * <p>Workflow code is replayed after a worker restart or a cache eviction, so rotation counts are
 * taken only when {@link Workflow#isReplaying()} is false: a replayed start or end is not counted
 * twice. Only a workflow's real end (a result or a {@link TemporalFailure}) counts; an eviction is
 * not an end.
 */
public final class RotationInterceptor extends WorkerInterceptorBase {
  private final RotationMetrics metrics;
  private final Clock clock;

  /** Rotations this worker is running (replayed ones too), for their steps' secret and starter. */
  private final Map<String, RotationRequest> running = new ConcurrentHashMap<>();

  public RotationInterceptor(RotationMetrics metrics, Clock clock) {
    this.metrics = metrics;
    this.clock = clock;
  }

  @Override
  public WorkflowInboundCallsInterceptor interceptWorkflow(WorkflowInboundCallsInterceptor next) {
    return new WorkflowInboundCallsInterceptorBase(next) {
      @Override
      public WorkflowOutput execute(WorkflowInput input) {
        Object[] args = input.getArguments();
        if (args.length > 0
            && args[0] instanceof io.keyturn.workflows.model.MasterKeyRequest master
            // A schedule's launcher passes the request on: the rotation it starts is counted.
            && !"MasterKeyLauncher".equals(Workflow.getInfo().getWorkflowType())) {
          return masterKey(master, () -> super.execute(input));
        }
        if (args.length > 0
            && args[0] instanceof io.keyturn.workflows.model.ProviderKeyRequest provider
            // As for master keys: the rotation the schedule's launcher starts is counted.
            && !"ProviderKeyLauncher".equals(Workflow.getInfo().getWorkflowType())) {
          return counted(
              provider.workflowId(),
              io.keyturn.workflows.ProviderKeyFailures.ROLLED_BACK,
              () -> super.execute(input));
        }
        if (args.length == 0 || !(args[0] instanceof RotationRequest req)) {
          return super.execute(input);
        }
        String workflowId = Workflow.getInfo().getWorkflowId();
        running.put(workflowId, req);
        if (!Workflow.isReplaying()) {
          metrics.rotationStarted(req.secretId());
          AuditLog.write(
              AuditLog.fields(
                  "event",
                  "rotation",
                  "step",
                  "Start",
                  "workflow_id",
                  workflowId,
                  "secret",
                  req.secretId(),
                  "generation",
                  req.generation() > 0 ? req.generation() : null,
                  "started_by",
                  req.requestedBy(),
                  "emergency",
                  req.emergency() ? Boolean.TRUE : null,
                  "old_key",
                  req.oldKey() == null ? null : req.oldKey().fingerprint(),
                  "outcome",
                  "started"));
        }
        try {
          WorkflowOutput out = super.execute(input);
          if (!Workflow.isReplaying()) {
            ended(workflowId, req, RotationMetrics.SUCCEEDED, "", out.getResult());
          }
          return out;
        } catch (TemporalFailure f) {
          if (!Workflow.isReplaying()) {
            boolean rolledBack =
                f instanceof ApplicationFailure af
                    && KeyRotationWorkflowImpl.ROLLED_BACK.equals(af.getType());
            ended(
                workflowId,
                req,
                rolledBack ? RotationMetrics.ROLLED_BACK : RotationMetrics.FAILED,
                failureType(f),
                null);
          }
          throw f;
        } finally {
          running.remove(workflowId);
        }
      }

      /**
       * An operator's update (rollback, changeGrace): one audit line with who asked and how it
       * ended, and a moved grace end on its gauge.
       */
      @Override
      public UpdateOutput executeUpdate(UpdateInput input) {
        String workflowId = Workflow.getInfo().getWorkflowId();
        RotationRequest req = running.get(workflowId);
        Object[] args = input.getArguments();
        String by =
            args.length > 0 && args[0] instanceof GraceChange c
                ? c.requestedBy()
                : args.length > 1 && args[1] instanceof String s ? s : null;
        String outcome = RotationMetrics.FAILED;
        String graceEndsAt = null;
        try {
          UpdateOutput out = super.executeUpdate(input);
          outcome = RotationMetrics.SUCCEEDED;
          if (out.getResult() instanceof RotationStatus s
              && s.phase() == RotationPhase.IN_GRACE
              && s.graceEndsAt() != null) {
            graceEndsAt = s.graceEndsAt();
          }
          return out;
        } finally {
          if (!Workflow.isReplaying() && req != null) {
            if (graceEndsAt != null) {
              metrics.graceEndsAt(req.secretId(), Instant.parse(graceEndsAt).getEpochSecond());
            }
            AuditLog.write(
                AuditLog.fields(
                    "event",
                    "operator",
                    "step",
                    input.getUpdateName(),
                    "workflow_id",
                    workflowId,
                    "secret",
                    req.secretId(),
                    "requested_by",
                    by,
                    "grace_ends_at",
                    graceEndsAt,
                    "outcome",
                    outcome));
          }
        }
      }
    };
  }

  /**
   * A master-key rotation: counted like a rotation, under the secret {@code master-key/<id>}
   * (started, completed with its outcome; a rollback is {@code rolled_back}).
   */
  private WorkflowInboundCallsInterceptor.WorkflowOutput masterKey(
      io.keyturn.workflows.model.MasterKeyRequest req,
      java.util.function.Supplier<WorkflowInboundCallsInterceptor.WorkflowOutput> run) {
    return counted(req.workflowId(), io.keyturn.workflows.MasterKeyFailures.ROLLED_BACK, run);
  }

  /**
   * A master-key or provider-key rotation: counted like a rotation under its workflow id as the
   * secret (started, completed with its outcome; a failure of type {@code rolledBackType} is {@code
   * rolled_back}).
   */
  private WorkflowInboundCallsInterceptor.WorkflowOutput counted(
      String secret,
      String rolledBackType,
      java.util.function.Supplier<WorkflowInboundCallsInterceptor.WorkflowOutput> run) {
    if (!Workflow.isReplaying()) {
      metrics.rotationStarted(secret);
    }
    try {
      WorkflowInboundCallsInterceptor.WorkflowOutput out = run.get();
      if (!Workflow.isReplaying()) {
        metrics.rotationCompleted(secret, RotationMetrics.SUCCEEDED, "", clock.millis());
      }
      return out;
    } catch (TemporalFailure f) {
      if (!Workflow.isReplaying()) {
        boolean rolledBack =
            f instanceof ApplicationFailure af && rolledBackType.equals(af.getType());
        metrics.rotationCompleted(
            secret,
            rolledBack ? RotationMetrics.ROLLED_BACK : RotationMetrics.FAILED,
            failureType(f),
            clock.millis());
      }
      throw f;
    }
  }

  private void ended(
      String workflowId, RotationRequest req, String outcome, String failureType, Object result) {
    metrics.rotationCompleted(req.secretId(), outcome, failureType, clock.millis());
    metrics.graceEnded(req.secretId());
    metrics.revokeHeld(req.secretId(), false);
    RotationResult r = result instanceof RotationResult rr ? rr : null;
    AuditLog.write(
        AuditLog.fields(
            "event",
            "rotation",
            "step",
            "End",
            "workflow_id",
            workflowId,
            "secret",
            req.secretId(),
            "generation",
            r != null ? Long.valueOf(r.generation()) : null,
            "started_by",
            req.requestedBy(),
            "emergency",
            req.emergency() ? Boolean.TRUE : null,
            "emergency_window_ms",
            r != null && r.emergency() != null ? r.emergency().windowMillis() : null,
            "old_key",
            r != null && r.oldKey() != null ? r.oldKey().fingerprint() : null,
            "new_key",
            r != null && r.newKey() != null ? r.newKey().fingerprint() : null,
            "outcome",
            outcome,
            "failure_type",
            failureType.isEmpty() ? null : failureType));
  }

  @Override
  public ActivityInboundCallsInterceptor interceptActivity(ActivityInboundCallsInterceptor next) {
    return new ActivityInboundCallsInterceptorBase(next) {
      private ActivityExecutionContext ctx;

      @Override
      public void init(ActivityExecutionContext context) {
        this.ctx = context;
        super.init(context);
      }

      @Override
      public ActivityOutput execute(ActivityInput input) {
        ActivityInfo info = ctx.getInfo();
        String type = info.getActivityType();
        String workflowId = info.getWorkflowId();
        RotationRequest req = workflowId == null ? null : running.get(workflowId);
        String secret = secretOf(workflowId, input.getArguments(), req);
        if (type.equals("DeleteKey")) { // the old key: the first step of revoke
          metrics.graceEnded(secret);
          metrics.revokeHeld(secret, false);
        }
        long t0 = System.nanoTime();
        String outcome = RotationMetrics.SUCCEEDED;
        String failureType = "";
        String error = null;
        Object result = null;
        try {
          ActivityOutput out = super.execute(input);
          result = out.getResult();
          return out;
        } catch (RuntimeException | Error e) {
          outcome = RotationMetrics.FAILED;
          failureType = failureType(e);
          error = e.getMessage();
          throw e;
        } finally {
          metrics.activity(
              type, secret, outcome, failureType, Duration.ofNanos(System.nanoTime() - t0));
          afterStep(type, secret, req, outcome, result);
          AuditLog.write(
              AuditLog.fields(
                  "event",
                  "step",
                  "step",
                  type,
                  "attempt",
                  info.getAttempt(),
                  "workflow_id",
                  workflowId,
                  "secret",
                  secret,
                  "generation",
                  generationOf(workflowId, input.getArguments()),
                  "started_by",
                  req == null ? null : req.requestedBy(),
                  "keys",
                  fingerprints(input.getArguments(), result),
                  "outcome",
                  outcome,
                  "failure_type",
                  failureType.isEmpty() ? null : failureType,
                  "error",
                  error));
        }
      }
    };
  }

  /** Gauges a successful step feeds: the new key's expiry, and when the grace period ends. */
  private void afterStep(
      String type, String secret, RotationRequest req, String outcome, Object result) {
    if (!RotationMetrics.SUCCEEDED.equals(outcome)) {
      return;
    }
    if (result instanceof MintedKey m && m.expires() != null) {
      try {
        metrics.keyExpiry(secret, Instant.parse(m.expires()).getEpochSecond());
      } catch (DateTimeParseException e) {
        // LiteLLM sometimes answers without a zone; then expiry is left unknown rather than wrong.
      }
    }
    if (result instanceof io.keyturn.workflows.model.KeyUse use) {
      metrics.revokeHeld(secret, use.usedWithinWindow());
    }
    if (type.equals("PublishTo") && req != null) {
      metrics.graceEndsAt(secret, clock.instant().plus(req.gracePeriod()).getEpochSecond());
    }
  }

  /** The secret id: from the workflow id {@code rotation/<secret-id>/...}, else the arguments. */
  static String secretOf(String workflowId, Object[] args, RotationRequest req) {
    if (req != null) {
      return req.secretId();
    }
    if (workflowId != null && workflowId.startsWith("rotation/")) {
      int end = workflowId.indexOf('/', "rotation/".length());
      if (end > 0) {
        return workflowId.substring("rotation/".length(), end);
      }
    }
    for (Object a : args) {
      if (a instanceof MintRequest m) {
        return m.secretId();
      }
    }
    return "unknown";
  }

  static Long generationOf(String workflowId, Object[] args) {
    for (Object a : args) {
      if (a instanceof MintRequest m) {
        return m.generation();
      }
    }
    if (workflowId != null && workflowId.startsWith("rotation/")) {
      String last = workflowId.substring(workflowId.lastIndexOf('/') + 1);
      if (last.matches("[0-9]{1,18}")) {
        return Long.parseLong(last);
      }
    }
    return null;
  }

  /** The fingerprints of every key an activity was given or returned: never a value. */
  static List<String> fingerprints(Object[] args, Object result) {
    List<String> out = new ArrayList<>();
    for (Object a : args) {
      addRef(out, a);
    }
    addRef(out, result);
    return out.isEmpty() ? null : out;
  }

  private static void addRef(List<String> out, Object o) {
    KeyRef ref = null;
    if (o instanceof KeyRef k) {
      ref = k;
    } else if (o instanceof MintedKey m) {
      ref = m.ref();
    } else if (o instanceof CurrentKey c) {
      ref = c.ref();
    } else if (o instanceof MintRequest m) {
      ref = m.replaces();
    } else if (o instanceof RevokeReceipt r) {
      ref = r.key();
    }
    if (ref != null && !out.contains(ref.fingerprint())) {
      out.add(ref.fingerprint());
    }
  }

  /**
   * The type of the innermost {@link ApplicationFailure} (the named failure that caused it all),
   * else the root exception's class name (a timeout, a bug).
   */
  static String failureType(Throwable t) {
    String type = null;
    Throwable root = t;
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ApplicationFailure af && af.getType() != null) {
        if (!KeyRotationWorkflowImpl.ROLLED_BACK.equals(af.getType()) || type == null) {
          type = af.getType();
        }
      }
      root = c;
      if (c.getCause() == c) {
        break;
      }
    }
    return type != null ? type : root.getClass().getSimpleName();
  }
}
