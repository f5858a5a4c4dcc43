package io.keyturn.workflows;

import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.MasterKey;
import io.keyturn.workflows.model.MasterKeyPhase;
import io.keyturn.workflows.model.MasterKeyPreflight;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.MasterKeyResult;
import io.keyturn.workflows.model.MasterKeyStatus;
import io.keyturn.workflows.model.RestartSpec;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;

/**
 * The master-key rotation. The new key is derived in the worker; history holds only its derivation,
 * the old key sealed to the worker, and fingerprints. The status always says which key the proxy
 * runs, which key its stored values are encrypted under and which key the destinations hold.
 */
public class MasterKeyRotationWorkflowImpl implements MasterKeyRotationWorkflow {
  private static final Logger log = Workflow.getLogger(MasterKeyRotationWorkflowImpl.class);

  private static final String[] DO_NOT_RETRY =
      Stream.concat(
              RotationFailures.NON_RETRYABLE.stream(), MasterKeyFailures.NON_RETRYABLE.stream())
          .toArray(String[]::new);

  private static RetryOptions retries(Duration cap) {
    return RetryOptions.newBuilder()
        .setInitialInterval(Duration.ofSeconds(1))
        .setBackoffCoefficient(2.0)
        .setMaximumInterval(cap)
        .setDoNotRetry(DO_NOT_RETRY)
        .build();
  }

  /** Checks and writes that may be retried: bounded, so a dead proxy or store ends the step. */
  static final ActivityOptions STEP =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(60))
          .setScheduleToCloseTimeout(Duration.ofMinutes(10))
          .setRetryOptions(retries(Duration.ofSeconds(30)))
          .build();

  /** The re-encryption: never sent twice (a second run would encrypt ciphertexts). */
  static final ActivityOptions ONCE =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofMinutes(3))
          .setRetryOptions(RetryOptions.newBuilder().setMaximumAttempts(1).build())
          .build();

  /** Rollback writes and cleanup: they must happen, so they retry for a day. */
  static final ActivityOptions MUST_FINISH =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(60))
          .setScheduleToCloseTimeout(Duration.ofHours(24))
          .setRetryOptions(retries(Duration.ofMinutes(5)))
          .build();

  private final MasterKeyActivities step =
      Workflow.newActivityStub(MasterKeyActivities.class, STEP);
  private final MasterKeyActivities once =
      Workflow.newActivityStub(MasterKeyActivities.class, ONCE);
  private final MasterKeyActivities mustFinish =
      Workflow.newActivityStub(MasterKeyActivities.class, MUST_FINISH);

  private MasterKeyRequest req;
  private MasterKeyMessages msg;
  private MasterKeyPhase phase = MasterKeyPhase.PREFLIGHT;
  private String detail = "";
  private MasterKey old;
  private MasterKey next;
  private String proxyRuns = "";
  private String storedUnder = "";
  private String storesHold = "";
  private int storedModels;
  private int credentials;
  private boolean awaitingRestart;
  private String restartDeadline;
  private int confirmations;

  @Override
  public MasterKeyResult rotate(MasterKeyRequest request) {
    this.req = request;
    this.msg = new MasterKeyMessages(request);
    Workflow.upsertTypedSearchAttributes(
        KeyturnSearchAttributes.SECRET_ID.valueSet(request.workflowId()),
        KeyturnSearchAttributes.GATEWAY.valueSet(request.gateway()));
    phase(MasterKeyPhase.PREFLIGHT, msg.preflight());
    MasterKeyPreflight pre;
    try {
      pre = step.preflight(request);
    } catch (ActivityFailure e) {
      throw fail(msg.preflightFailed(RotationMessages.rootMessage(e)), typeOf(e));
    }
    old = pre.current();
    storedModels = pre.storedModels();
    credentials = pre.credentials();
    proxyRuns = old.fingerprint();
    storedUnder = request.saltKey() ? "the salt key (LITELLM_SALT_KEY)" : old.fingerprint();
    storesHold = old.fingerprint();

    phase(MasterKeyPhase.GENERATING, msg.generating());
    String nonce = Workflow.randomUUID().toString();
    next = step.generate(new KeyDerivation(request.workflowId(), "master-key", nonce));
    Compensations undo = new Compensations();
    MasterKey probe;
    try {
      probe =
          step.mintProbe(
              request.gateway(),
              old,
              new KeyDerivation(request.workflowId(), "master-key-probe", nonce));
    } catch (ActivityFailure e) {
      throw fail(msg.preflightFailed(RotationMessages.rootMessage(e)), typeOf(e));
    }
    final MasterKey minted = probe;
    undo.add(
        () -> mustFinish.deleteProbe(request.gateway(), List.of(next, old), minted),
        e -> msg.probeLeft(minted.fingerprint(), RotationMessages.rootMessage(e)));

    if (!request.saltKey()) {
      phase(MasterKeyPhase.REENCRYPTING, msg.reencrypting(old, next));
      try {
        once.reencrypt(request.gateway(), old, next);
      } catch (ActivityFailure e) {
        String cause = RotationMessages.rootMessage(e);
        if (RotationFailures.hasType(e, MasterKeyFailures.REENCRYPT_REFUSED)) {
          undo.unwind();
          throw fail(msg.reencryptRefused(cause), MasterKeyFailures.REENCRYPT_REFUSED);
        }
        storedUnder = "UNKNOWN: " + old.fingerprint() + " or " + next.fingerprint();
        undo.unwind();
        throw fail(msg.reencryptUnknown(old, next, cause), MasterKeyFailures.NEEDS_OPERATOR);
      }
      storedUnder = next.fingerprint();
    }

    phase(MasterKeyPhase.PUBLISHING, msg.publishing(next));
    List<String> holdNew = new ArrayList<>();
    List<Destination> written = new ArrayList<>();
    for (Destination d : request.destinations()) {
      try {
        step.publish(d, next, request.workflowId());
        written.add(d);
        holdNew.add(d.describe());
        storesHold = holding(holdNew);
      } catch (ActivityFailure e) {
        String cause = RotationMessages.rootMessage(e);
        List<String> holdOld =
            request.destinations().stream()
                .filter(x -> !written.contains(x))
                .map(Destination::describe)
                .toList();
        if (request.saltKey()) {
          for (Destination w : written) {
            mustFinish.publish(w, old, request.workflowId());
          }
          storesHold = old.fingerprint();
          undo.unwind();
          throw fail(
              msg.publishFailedNothingChanged(
                  d.describe(),
                  cause,
                  written.isEmpty()
                      ? "no destination was written."
                      : "the old key was put back in " + String.join(", ", holdNew) + "."),
              typeOf(e));
        }
        undo.unwind();
        throw fail(
            msg.publishFailedAfterReencrypt(old, next, holdNew, holdOld, cause),
            MasterKeyFailures.NEEDS_OPERATOR);
      }
    }
    storesHold = next.fingerprint();

    restart(next, "");
    String notRestarted = alsoRestart(next);
    phase(MasterKeyPhase.VERIFYING, msg.verifying());
    List<String> problems = step.verify(request.gateway(), next, old, pre, probe);
    if (problems.isEmpty()) {
      String cleanup = undo.unwind();
      String summary = msg.done(old, next, storedModels, credentials) + notRestarted;
      phase(MasterKeyPhase.DONE, summary + (cleanup.isEmpty() ? "" : " " + cleanup));
      return new MasterKeyResult(
          request.id(), old.fingerprint(), next.fingerprint(), storedModels, credentials, summary);
    }
    throw rollBack(problems, undo);
  }

  private ApplicationFailure rollBack(List<String> problems, Compensations undo) {
    phase(MasterKeyPhase.ROLLING_BACK, msg.rollingBack(problems));
    log.warn("master-key rotation {} rolling back: {}", req.workflowId(), problems);
    if (!req.saltKey()) {
      try {
        once.reencrypt(req.gateway(), next, old);
      } catch (ActivityFailure e) {
        return fail(
            msg.rollbackReencryptFailed(old, next, RotationMessages.rootMessage(e)),
            MasterKeyFailures.NEEDS_OPERATOR);
      }
      storedUnder = old.fingerprint();
    }
    List<String> holdOld = new ArrayList<>();
    for (Destination d : req.destinations()) {
      mustFinish.publish(d, old, req.workflowId());
      holdOld.add(d.describe());
    }
    storesHold = old.fingerprint();
    restart(old, "rollback");
    String notRestarted = alsoRestart(old);
    undo.unwind();
    String text = msg.rolledBack(old, next, problems, req.saltKey()) + notRestarted;
    phase(MasterKeyPhase.ROLLED_BACK, text);
    return ApplicationFailure.newNonRetryableFailure(text, MasterKeyFailures.ROLLED_BACK);
  }

  /**
   * Restarts the proxy so it runs {@code key}, and returns once the proxy accepts it. A webhook or
   * rollout that does not take falls back to waiting for an operator's confirmation, saying so; it
   * never gives up silently, since the stores and the proxy would disagree.
   */
  private void restart(MasterKey key, String why) {
    RestartSpec spec = req.restart();
    Instant due = Instant.ofEpochMilli(Workflow.currentTimeMillis()).plus(spec.deadline());
    String reason = null;
    if (!spec.mode().equals(RestartSpec.MANUAL)) {
      phase(MasterKeyPhase.RESTARTING, msg.restarting(spec.describe(), key, why));
      try {
        if (spec.mode().equals(RestartSpec.WEBHOOK)) {
          step.restartWebhook(spec.url(), req.workflowId(), why.isEmpty() ? "rotation" : why);
        } else {
          step.restartKubernetes(
              spec.deployment(),
              spec.namespace(),
              spec.context(),
              req.workflowId(),
              Workflow.randomUUID().toString());
        }
        awaiting(spec.deadline()).awaitAccepted(req.gateway(), key);
        proxyRuns = key.fingerprint();
        return;
      } catch (ActivityFailure e) {
        reason = msg.restartNotTaken(spec.describe(), key, RotationMessages.rootMessage(e));
      }
    }
    while (true) {
      int seen = confirmations;
      awaitingRestart = true;
      restartDeadline = due.toString();
      phase(MasterKeyPhase.AWAITING_RESTART, msg.awaitingRestart(key, due.toString(), reason));
      Duration left =
          Duration.ofMillis(Math.max(0, due.toEpochMilli() - Workflow.currentTimeMillis()));
      boolean confirmed = Workflow.await(left, () -> confirmations > seen);
      if (!confirmed) {
        phase(MasterKeyPhase.AWAITING_RESTART, msg.restartOverdue(key, due.toString()));
        Workflow.await(() -> confirmations > seen);
      }
      awaitingRestart = false;
      restartDeadline = null;
      phase(MasterKeyPhase.RESTARTING, msg.restarting("confirmed by an operator", key, why));
      try {
        awaiting(Duration.ofMinutes(2)).awaitAccepted(req.gateway(), key);
        proxyRuns = key.fingerprint();
        return;
      } catch (ActivityFailure e) {
        reason = msg.restartNotTaken("confirmed", key, RotationMessages.rootMessage(e));
        due = Instant.ofEpochMilli(Workflow.currentTimeMillis()).plus(spec.deadline());
      }
    }
  }

  /**
   * Restarts the Deployments that cache the master key (the LiteLLM operator...) once the proxy
   * runs {@code key}. One that does not restart does not undo the rotation (the proxy and the
   * stores agree); it is named, with what to do, in the text returned (empty when all restarted).
   */
  private String alsoRestart(MasterKey key) {
    StringBuilder failed = new StringBuilder();
    for (io.keyturn.workflows.model.RestartTarget t : req.alsoRestart()) {
      phase(
          MasterKeyPhase.RESTARTING,
          "restarting " + t.describe() + " so it reads " + key.fingerprint());
      try {
        step.restartKubernetes(
            t.deployment(),
            t.namespace(),
            t.context(),
            req.workflowId(),
            Workflow.randomUUID().toString());
      } catch (ActivityFailure e) {
        failed
            .append(" NOT RESTARTED: ")
            .append(t.describe())
            .append(" (")
            .append(RotationMessages.rootMessage(e))
            .append("): it still holds the previous master key; restart it by hand (kubectl")
            .append(" rollout restart deployment/")
            .append(t.deployment())
            .append(" -n ")
            .append(t.namespace() == null || t.namespace().isBlank() ? "default" : t.namespace())
            .append(").");
      }
    }
    return failed.toString();
  }

  private MasterKeyActivities awaiting(Duration limit) {
    return Workflow.newActivityStub(
        MasterKeyActivities.class,
        ActivityOptions.newBuilder()
            .setStartToCloseTimeout(Duration.ofSeconds(30))
            .setScheduleToCloseTimeout(
                limit.compareTo(Duration.ofMinutes(1)) < 0 ? Duration.ofMinutes(1) : limit)
            .setRetryOptions(
                RetryOptions.newBuilder()
                    .setInitialInterval(Duration.ofSeconds(1))
                    .setBackoffCoefficient(1.5)
                    .setMaximumInterval(Duration.ofSeconds(10))
                    .setDoNotRetry(DO_NOT_RETRY)
                    .build())
            .build());
  }

  private static String holding(List<String> holdNew) {
    return "new key in " + String.join(", ", holdNew) + "; old key in the rest";
  }

  private static String typeOf(ActivityFailure e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ApplicationFailure af && af.getType() != null) {
        return af.getType();
      }
    }
    return MasterKeyFailures.NEEDS_OPERATOR;
  }

  private ApplicationFailure fail(String text, String type) {
    phase(MasterKeyPhase.FAILED, text);
    log.error("master-key rotation {} failed: {}", req.workflowId(), text);
    return ApplicationFailure.newNonRetryableFailure(text, type);
  }

  private void phase(MasterKeyPhase p, String text) {
    if (p != phase || phase == MasterKeyPhase.PREFLIGHT) {
      Workflow.upsertTypedSearchAttributes(KeyturnSearchAttributes.PHASE.valueSet(p.name()));
    }
    phase = p;
    detail = text;
    Workflow.setCurrentDetails(
        p.name()
            + ": "
            + text
            + (proxyRuns.isEmpty()
                ? ""
                : "\n\nproxy runs: "
                    + proxyRuns
                    + "\nstored values under: "
                    + storedUnder
                    + "\ndestinations hold: "
                    + storesHold));
  }

  @Override
  public void confirmRestart(String by) {
    confirmations++;
  }

  @Override
  public MasterKeyStatus status() {
    return new MasterKeyStatus(
        phase,
        detail,
        old == null ? null : old.fingerprint(),
        next == null ? null : next.fingerprint(),
        proxyRuns,
        storedUnder,
        storesHold,
        storedModels,
        credentials,
        awaitingRestart,
        restartDeadline);
  }
}
