package io.keyturn.workflows;

import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.EmergencyReport;
import io.keyturn.workflows.model.GraceChange;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.activity.ActivityOptions;
import io.temporal.activity.LocalActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.failure.TemporalFailure;
import io.temporal.workflow.Async;
import io.temporal.workflow.CancellationScope;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;

/** The rotation: mint, verify, publish, grace, revoke; compensation when verify or publish fail. */
public class KeyRotationWorkflowImpl implements KeyRotationWorkflow {

  /** Failure type of a rotation that failed before revoke and was rolled back. */
  public static final String ROLLED_BACK = "RotationRolledBack";

  private static final String[] DO_NOT_RETRY =
      RotationFailures.NON_RETRYABLE.toArray(String[]::new);

  /**
   * How long a step that shapes the new key (mint, verify, publish...) keeps retrying before the
   * rotation rolls back. Worker configuration (KEYTURN_STEP_DEADLINE), set once at start; it only
   * shapes the activity options this worker schedules from then on, which replay does not compare.
   */
  private static volatile Duration stepDeadline = Duration.ofMinutes(15);

  /** Sets {@link #stepDeadline}; called by the worker before it polls. */
  public static void stepDeadline(Duration d) {
    stepDeadline = d;
  }

  /** Calls that shape the new key: bounded, so a proxy that stays down ends in a rollback. */
  static ActivityOptions gateway() {
    return ActivityOptions.newBuilder()
        .setStartToCloseTimeout(Duration.ofSeconds(60))
        .setScheduleToCloseTimeout(stepDeadline)
        .setRetryOptions(
            RetryOptions.newBuilder()
                .setInitialInterval(Duration.ofSeconds(1))
                .setBackoffCoefficient(2.0)
                .setMaximumInterval(Duration.ofSeconds(30))
                .setDoNotRetry(DO_NOT_RETRY)
                .build())
        .build();
  }

  /**
   * The short steps (destination checks, reading the current key, policy import, mint with its
   * confirmation, verify, the drain gate's read of the old key's use, the proof that the deleted
   * old key is refused) run first as local activities: inside the workflow task that reaches them,
   * so they cost neither a trip through the server's task queue nor a workflow task of their own,
   * and leave one marker each in history instead of three events and a workflow task. When one
   * fails for a reason a retry could fix, the same step runs again as a normal activity ({@link
   * LocalFirst#run}), with {@link #gateway()}'s retries and step deadline (the revoke's proof:
   * {@link #MUST_FINISH}'s day of retries). Publish with its restore, the delete of the old key and
   * every undo step stay activities: they must outlive a worker and the UI shows them as steps.
   *
   * <p>Why these bounds: the Java SDK cannot cancel a local activity (sdk-java#1303: it runs its
   * retries out whatever the cancellation scope says) nor stop one whose workflow task failed
   * (sdk-java#1563), and retries beyond the local retry threshold go through workflow timers. So
   * the local part is short and all in the worker: at most 3 attempts (0.5 s, then 1 s apart, below
   * the 10 s threshold, so never a timer) within 30 s. A proxy that stays down, a takeover's cancel
   * and the UI's view of a failing step (a pending activity with its attempts and last failure) are
   * the normal activity's business, as before. Re-running is safe: the checks, import and verify
   * are read-only, and mint derives the key's value from the workflow id, alias and first run id,
   * so a re-run (a retried workflow task, or the fallback after a lost reply) adopts the key it
   * made. Arguments stay out of the markers (the workflow's own values, already in history); the
   * results recorded are references, fingerprints and sealed values only, as the activities' were.
   */
  static final LocalActivityOptions LOCAL_FIRST =
      LocalActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(20))
          .setScheduleToCloseTimeout(Duration.ofSeconds(30))
          .setLocalRetryThreshold(Duration.ofSeconds(10))
          .setDoNotIncludeArgumentsIntoMarker(true)
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setInitialInterval(Duration.ofMillis(500))
                  .setBackoffCoefficient(2.0)
                  .setMaximumAttempts(3)
                  .setDoNotRetry(DO_NOT_RETRY)
                  .build())
          .build();

  /**
   * Revoking the old key and compensations: they must happen eventually, so they retry for a day
   * through outages, with a longer backoff cap.
   */
  static final ActivityOptions MUST_FINISH =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(60))
          .setScheduleToCloseTimeout(Duration.ofHours(24))
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setInitialInterval(Duration.ofSeconds(2))
                  .setBackoffCoefficient(2.0)
                  .setMaximumInterval(Duration.ofMinutes(5))
                  .setDoNotRetry(DO_NOT_RETRY)
                  .build())
          .build();

  private final LiteLlmActivities gateway =
      Workflow.newActivityStub(LiteLlmActivities.class, gateway());
  private final SecretStoreActivities store =
      Workflow.newActivityStub(SecretStoreActivities.class, gateway());

  /** Import, mint, verify: see {@link #LOCAL_FIRST}. */
  private final LiteLlmActivities gatewayLocal =
      Workflow.newLocalActivityStub(LiteLlmActivities.class, LOCAL_FIRST);

  /** Destination checks and the read of the current key: read-only, see {@link #LOCAL_FIRST}. */
  private final SecretStoreActivities storeLocal =
      Workflow.newLocalActivityStub(SecretStoreActivities.class, LOCAL_FIRST);

  private final LiteLlmActivities gatewayMustFinish =
      Workflow.newActivityStub(LiteLlmActivities.class, MUST_FINISH);
  private final SecretStoreActivities storeMustFinish =
      Workflow.newActivityStub(SecretStoreActivities.class, MUST_FINISH);

  private static final Logger log = Workflow.getLogger(KeyRotationWorkflowImpl.class);

  private RotationRequest request;
  private RotationPhase phase = RotationPhase.STARTING;

  private MintedKey minted;
  private final List<PublishReceipt> publishedAll = new ArrayList<>();

  private long graceEndsAtMillis = -1;
  private long graceStartedAtMillis = -1;
  private MintRequest mintRequest;
  private RollbackAsk rollbackAsk;
  private boolean revokeNowRequested;
  private String revokeNowReason;
  private String message = "starting";

  /** Emergency only: when the leaked key was blocked (-1: not yet) and the new key published. */
  private long blockedAtMillis = -1;

  private boolean alreadyBlocked;
  private long publishedAtMillis = -1;

  @Override
  public RotationResult rotate(RotationRequest req) {
    this.request = req;
    try {
      return doRotate(req);
    } catch (TemporalFailure e) {
      if (phase != RotationPhase.ROLLED_BACK && phase != RotationPhase.FAILED) {
        message =
            request.emergency()
                ? RotationMessages.emergencyFailed(
                    request, phase, e, blockedAtMillis >= 0, minted == null ? null : minted.ref())
                : RotationMessages.failed(
                    request, phase, e, request.oldKey(), minted == null ? null : minted.ref());
        setPhase(RotationPhase.FAILED);
        log.error(message);
        details();
      }
      throw e;
    }
  }

  private RotationRequest resolve(RotationRequest req) {
    // Bad settings or an unreachable or unwritable store fail here, before anything is minted:
    // every destination, the Vault shorthand (--vault-name) included.
    message = "checking " + req.destinations().size() + " destination(s)";
    for (Destination d : req.destinations()) {
      LocalFirst.run(
          storeLocal,
          store,
          s -> {
            s.checkDestination(d);
            return null;
          },
          this::showPhase);
    }
    long generation =
        req.generation() > 0
            ? req.generation()
            : RotationRequest.generationAt(Instant.ofEpochMilli(Workflow.currentTimeMillis()));
    if (!req.chainFromStore()) {
      return req.resolved(generation, req.oldKey(), req.oldKeySealed());
    }
    Destination primary = req.destinations().get(0);
    message = "reading the current key from " + primary.describe();
    CurrentKey current =
        LocalFirst.run(storeLocal, store, s -> s.readCurrentKey(primary), this::showPhase);
    if (current != null) {
      log.info(
          "rotation {} g{}: {} holds {}",
          req.secretId(),
          generation,
          current.location(),
          current.ref().fingerprint());
      return req.resolved(generation, current.ref(), current.sealed());
    }
    if (req.oldKey() == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "nothing to rotate for "
              + req.secretId()
              + ": "
              + primary.describe()
              + " holds no key and no first key was given. Publish the key applications use there,"
              + " or declare it as currentKey in keyturn.yaml and apply again.",
          RotationFailures.NOTHING_TO_ROTATE);
    }
    return req.resolved(generation, req.oldKey(), req.oldKeySealed());
  }

  private RotationResult doRotate(RotationRequest original) {
    RotationRequest req = resolve(original);
    this.request = req;
    details();
    String who = req.secretId() + " g" + req.generation();
    log.info("rotation {} started: replacing {}", who, req.oldKey().fingerprint());
    if (req.emergency()) {
      log.warn(
          "EMERGENCY rotation {} requested by {}: {} leaked",
          who,
          req.requestedBy(),
          req.oldKey().fingerprint());
    }

    // The old key's policy is read first: a missing old key fails here, before anything is minted.
    message = "reading the policy of " + req.oldKey().fingerprint();
    KeyPolicy imported =
        LocalFirst.run(
            gatewayLocal,
            gateway,
            g -> g.importPolicy(req.gatewayUrl(), req.oldKey()),
            this::showPhase);
    KeyPolicy policy = req.policy() != null ? req.policy() : imported;
    if (req.emergency()) {
      // Read-only checks first (which key, its policy, the destinations): bad input blocks nothing.
      policy = EmergencyRotation.unblocked(policy);
      blockLeakedKey(who);
    }

    setPhase(RotationPhase.MINTING);
    message = "minting " + req.newKeyAlias();
    KeyDerivation derivation =
        new KeyDerivation(
            Workflow.getInfo().getWorkflowId(),
            req.newKeyAlias(),
            Workflow.getInfo().getFirstExecutionRunId());
    MintRequest mint =
        new MintRequest(
            req.gatewayUrl(),
            req.newKeyAlias(),
            policy,
            derivation,
            req.secretId(),
            req.generation(),
            req.oldKey());
    this.mintRequest = mint;
    Compensations undo = new Compensations();
    try {
      // Registered before the call: a mint whose reply was lost may have created the key.
      undo.add(
          () ->
              RotationMessages.newKeyDiscarded(
                  gatewayMustFinish.discardDerivedKey(mint), mint.alias()),
          e -> RotationMessages.couldNotDiscard(mint.alias(), e));
      minted = LocalFirst.run(gatewayLocal, gateway, g -> g.mintKey(mint), this::showPhase);
      log.info(
          "rotation {} minted {}{}",
          who,
          minted.ref().fingerprint(),
          minted.adopted() ? " (adopted)" : "");

      setPhase(RotationPhase.VERIFYING);
      message = "verifying " + minted.ref().fingerprint();
      boolean checkModels = req.verifyModels() == null || req.verifyModels();
      if (req.managementKey()) {
        // A scoped management key may not call /v1/models: prove what a rotation calls instead.
        MintedKey key = minted;
        LocalFirst.run(
            gatewayLocal,
            gateway,
            g -> {
              g.verifyManagementKey(req.gatewayUrl(), key);
              return null;
            },
            this::showPhase);
      } else {
        MintedKey key = minted;
        KeyPolicy expected = checkModels ? policy : new KeyPolicy(withoutModels(policy));
        LocalFirst.run(
            gatewayLocal,
            gateway,
            g -> {
              g.verifyKey(req.gatewayUrl(), key, expected);
              return null;
            },
            this::showPhase);
      }

      setPhase(RotationPhase.PUBLISHING);
      for (Destination d : req.destinations()) {
        message = "publishing to " + d.describe();
        // Registered before the write: a write whose reply was lost may have landed.
        MintedKey key = minted;
        undo.add(
            () -> storeMustFinish.restoreAt(d, key),
            e -> RotationMessages.couldNotRestore(d, key.ref(), req.oldKey(), e));
        publishedAll.add(store.publishTo(d, minted));
      }
      publishedAtMillis = Workflow.currentTimeMillis();
    } catch (ActivityFailure | CanceledFailure e) {
      throw rollBack(e, undo);
    }

    // An emergency does not wait: the leaked key goes as soon as the new one is everywhere.
    boolean early = !req.emergency() && awaitGrace(req, who);
    String drained;
    try {
      // An emergency does not hold its revoke for traffic: the leaked key must go.
      drained =
          req.emergency()
              ? ""
              : new DrainGate(gatewayLocal, gateway, this::showPhase)
                  .await(req, () -> revokeNowRequested, this::holdRevoke);
      new ManagementKeyGate().await(req, minted, this::say);
    } catch (CanceledFailure e) {
      throw cancelledAfterPublish();
    }

    setPhase(RotationPhase.REVOKING);
    message = "revoking " + req.oldKey().fingerprint();
    RevokeReceipt revoked;
    try {
      revoked = revokeOldKey();
    } catch (ActivityFailure | CanceledFailure e) {
      if (!CancellationScope.current().isCancelRequested()) {
        throw e;
      }
      throw cancelledAfterPublish();
    }

    setPhase(RotationPhase.COMPLETED);
    EmergencyReport report = null;
    if (req.emergency()) {
      report =
          new EmergencyReport(
              req.requestedBy(), req.oldKey(), alreadyBlocked, blockedAtMillis, publishedAtMillis);
      message =
          RotationMessages.emergencyCompleted(
              minted.ref(), locationList(), revoked, report.windowMillis());
    } else {
      message =
          RotationMessages.completed(minted.ref(), locationList(), revoked)
              + (drained.isEmpty() ? "" : " " + drained);
    }
    log.info("rotation {} completed", who);
    details();
    return new RotationResult(
        req.secretId(),
        req.generation(),
        req.oldKey(),
        minted.ref(),
        minted.alias(),
        revoked,
        early,
        List.copyOf(publishedAll),
        report);
  }

  /**
   * The first side effect of an emergency rotation: the leaked key is blocked at the proxy, before
   * anything is minted. Idempotent (a blocked key counts as blocked); what follows never unblocks
   * it.
   */
  private void blockLeakedKey(String who) {
    message = "blocking the leaked key " + request.oldKey().fingerprint();
    showPhase();
    details();
    alreadyBlocked = !gateway.blockKey(request.gatewayUrl(), request.oldKey());
    blockedAtMillis = Workflow.currentTimeMillis();
    message = RotationMessages.leakedKeyBlocked(request.oldKey(), alreadyBlocked);
    log.warn("rotation {}: {}", who, message);
    details();
  }

  /**
   * The grace period of a routine rotation: both keys work until it ends or revokeNow ends it
   * early. Returns whether it ended early.
   */
  private boolean awaitGrace(RotationRequest req, String who) {
    phase = RotationPhase.IN_GRACE;
    if (!req.gracePeriod().isZero()) {
      // A grace period of zero passes inside the workflow task: no one could filter on it.
      showPhase();
    }
    graceStartedAtMillis = Workflow.currentTimeMillis();
    graceEndsAtMillis = graceStartedAtMillis + req.gracePeriod().toMillis();
    message =
        RotationMessages.inGrace(
            req, locationList(), Instant.ofEpochMilli(graceEndsAtMillis).toString());
    log.info("rotation {} in grace until {}", who, Instant.ofEpochMilli(graceEndsAtMillis));
    details();
    tellLauncher();
    boolean early;
    try {
      early = awaitGraceEnd();
    } catch (CanceledFailure e) {
      throw cancelledAfterPublish();
    }
    if (early) {
      log.info("rotation {}: grace ended early by revokeNow ({})", who, revokeNowReason);
    }
    return early;
  }

  /** Deletes the old key and proves the proxy refuses it. */
  private RevokeReceipt revokeOldKey() {
    // Two steps, so that a retried proof (a proxy cache still accepting the old key) does not
    // send the delete again and mistake its 404 for a key someone else deleted.
    // The delete is an activity (a day of retries, visible as the revoke step); the proof is a
    // read, tried locally first and then, while a proxy cache still accepts the key, as an
    // activity with the same day of retries.
    boolean deletedNow = gatewayMustFinish.deleteKey(request.gatewayUrl(), request.oldKey());
    return LocalFirst.run(
        gatewayLocal,
        gatewayMustFinish,
        g ->
            g.confirmRevoked(
                request.gatewayUrl(), request.oldKey(), request.oldKeySealed(), deletedNow));
  }

  /**
   * A rotation cancelled after its new key was published: both keys work, and the message says so.
   * When an emergency rotation takes over ({@link EmergencyRotation#takeoverReason}), the old key
   * is deleted first, in a scope the cancellation does not reach: an emergency does not honour
   * grace.
   */
  private CanceledFailure cancelledAfterPublish() {
    RotationPhase at = phase;
    String reason = CancellationScope.current().getCancellationReason();
    String outcome = null;
    if (request.emergency()) {
      outcome = RotationMessages.leakedKeyNotDeleted(request.oldKey());
    } else if (EmergencyRotation.isTakeover(reason)) {
      setPhase(RotationPhase.REVOKING);
      message = "an emergency rotation takes over: deleting the old key now";
      details();
      RevokeReceipt[] revoked = new RevokeReceipt[1];
      try {
        Workflow.newDetachedCancellationScope(() -> revoked[0] = revokeOldKey()).run();
        outcome = RotationMessages.oldKeyDeletedForTakeover(revoked[0]);
      } catch (ActivityFailure e) {
        outcome = RotationMessages.couldNotDeleteForTakeover(request.oldKey(), e);
      }
    }
    message =
        RotationMessages.cancelledAfterPublish(
            request, at, reason, minted.ref(), locationList(), outcome);
    setPhase(RotationPhase.FAILED);
    log.warn(message);
    details();
    return new CanceledFailure(message);
  }

  private List<String> locationList() {
    return publishedAll.stream().map(PublishReceipt::location).toList();
  }

  private static java.util.Map<String, Object> withoutModels(KeyPolicy p) {
    java.util.Map<String, Object> f = new java.util.LinkedHashMap<>(p.fields());
    f.remove("models");
    return f;
  }

  /**
   * Undoes a rotation that failed before its grace period: runs the registered undo steps (stores
   * put back, the new key deleted) and leaves the old key alone.
   */
  private ApplicationFailure rollBack(TemporalFailure cause, Compensations undo) {
    RotationPhase failedAt = phase;
    // The undo steps may retry for a day: the phase that failed is what a filter should find.
    showPhase();
    String undone = undo.unwind();
    setPhase(RotationPhase.ROLLED_BACK);
    // A cancellation carries no message of its own: say who cancelled (an emergency's takeover).
    TemporalFailure why =
        CancellationScope.current().isCancelRequested()
            ? ApplicationFailure.newFailure(
                RotationMessages.cancelled(CancellationScope.current().getCancellationReason()),
                "Cancelled")
            : cause;
    message =
        request.emergency()
            ? RotationMessages.emergencyRolledBack(request, failedAt, why, undone)
            : RotationMessages.rolledBack(request, failedAt, why, undone, request.oldKey());
    log.error(message);
    details();
    return ApplicationFailure.newNonRetryableFailureWithCause(message, ROLLED_BACK, cause);
  }

  /**
   * A rotation started by a launcher (for a schedule or a fleet) tells it that its new key is
   * published, so that a fleet's next wave need not wait out this grace period. Best effort: a
   * launcher that has closed cannot be told, and this rotation goes on regardless.
   */
  static void tellLauncher() {
    String parent = Workflow.getInfo().getParentWorkflowId().orElse(null);
    if (parent == null) {
      return;
    }
    String self = Workflow.getInfo().getWorkflowId();
    RotationLauncherWorkflow launcher =
        Workflow.newExternalWorkflowStub(RotationLauncherWorkflow.class, parent);
    Async.procedure(launcher::rotationPublished, self)
        .exceptionally(
            e -> {
              log.warn(
                  "rotation {} could not tell {} it published ({}); it goes on",
                  self,
                  parent,
                  e.getMessage());
              return null;
            });
  }

  /** Says what the rotation is doing now, without changing its phase. */
  private void say(String what) {
    message = what;
    details();
  }

  /** The drain gate holds the revoke: the phase says so, the message says why and until when. */
  private void holdRevoke(String why) {
    message = why;
    if (phase != RotationPhase.REVOKE_HELD) {
      setPhase(RotationPhase.REVOKE_HELD);
    } else {
      details();
    }
  }

  /**
   * Moves to a phase: current details (for people) and, for a phase the rotation can rest in, the
   * search attribute (for UI filters). Minting and verifying run as local activities inside the
   * workflow task that starts them and end in it (publish follows), so no filter could ever see
   * them: their phase is in the current details only, and costs no history event, unless their step
   * falls back to an activity ({@link LocalFirst}), which shows the phase first.
   */
  private void setPhase(RotationPhase next) {
    phase = next;
    if (next != RotationPhase.MINTING && next != RotationPhase.VERIFYING) {
      showPhase();
    }
    details();
  }

  /** The search attribute value written last; null before the first upsert. */
  private RotationPhase shownPhase;

  /**
   * Writes the phase search attribute when it changed; the first write carries the rotation's
   * identity (secret id, gateway, generation) too, in one event. Until then (the local steps of the
   * first workflow task) the rotation is found by its workflow id, which names the secret id and
   * generation.
   */
  private void showPhase() {
    if (request == null || request.generation() <= 0 || shownPhase == phase) {
      return;
    }
    if (shownPhase == null) {
      Workflow.upsertTypedSearchAttributes(
          KeyturnSearchAttributes.SECRET_ID.valueSet(request.secretId()),
          KeyturnSearchAttributes.GATEWAY.valueSet(request.gatewayUrl()),
          KeyturnSearchAttributes.GENERATION.valueSet(request.generation()),
          KeyturnSearchAttributes.PHASE.valueSet(phase.name()));
    } else {
      Workflow.upsertTypedSearchAttributes(KeyturnSearchAttributes.PHASE.valueSet(phase.name()));
    }
    shownPhase = phase;
  }

  /** The UI's "current details": what the rotation is doing, in words (no key values). */
  private void details() {
    if (request != null) {
      Workflow.setCurrentDetails(
          (request.emergency() ? RotationMessages.emergencyBanner(request) : "")
              + RotationMessages.details(
                  request, phase, message, minted == null ? null : minted.ref()));
    }
  }

  @Override
  public void revokeNow(String reason) {
    revokeNowRequested = true;
    revokeNowReason = reason == null || reason.isBlank() ? "no reason given" : reason;
  }

  @Override
  public RotationStatus status() {
    RotationRequest r = request;
    return new RotationStatus(
        r == null ? null : r.secretId(),
        r == null ? 0 : r.generation(),
        phase,
        r == null || r.oldKey() == null ? null : r.oldKey().fingerprint(),
        minted == null ? null : minted.ref().fingerprint(),
        r == null ? null : r.newKeyAlias(),
        publishedAll.isEmpty()
            ? null
            : String.join(
                ", ", publishedAll.stream().map(p -> p.location() + " v" + p.version()).toList()),
        graceEndsAtMillis < 0 ? null : Instant.ofEpochMilli(graceEndsAtMillis).toString(),
        revokeNowRequested,
        message);
  }

  /** Failure type a rotation ends with when an operator rolled it back in its grace period. */
  public static final String ROLLED_BACK_ON_REQUEST = "RolledBackOnRequest";

  /** Failure type of a rollback the rotation refused (nothing changed, or all of it put back). */
  public static final String ROLLBACK_REFUSED = "RollbackRefused";

  /** Failure type of a grace change the rotation refused (nothing changed). */
  public static final String GRACE_CHANGE_REFUSED = "GraceChangeRefused";

  /** An operator's rollback, from the update that asked for it until the rotation answers it. */
  private static final class RollbackAsk {
    final String reason;
    final String by;
    boolean done;
    String refusal;

    RollbackAsk(String reason, String by) {
      this.reason = reason;
      this.by = by;
    }
  }

  /**
   * Waits out the grace period, whose end an operator may move while it runs ({@link
   * #changeGrace}): each move wakes the wait, which sleeps again until the new end, so the timer in
   * history always matches the end the rotation shows. A rollback an operator asks for runs here;
   * when it finishes it ends the rotation (it throws), when it is refused the wait goes on. Returns
   * whether revokeNow ended the grace period early.
   */
  private boolean awaitGraceEnd() {
    while (true) {
      long end = graceEndsAtMillis;
      Duration left = Duration.ofMillis(Math.max(0, end - Workflow.currentTimeMillis()));
      Workflow.await(
          left, () -> revokeNowRequested || rollbackAsk != null || graceEndsAtMillis != end);
      if (rollbackAsk != null) {
        rollBackOnRequest(rollbackAsk);
        continue;
      }
      if (revokeNowRequested) {
        return true;
      }
      if (graceEndsAtMillis == end) {
        return false;
      }
    }
  }

  /**
   * An operator's rollback in the grace period. Checks that the old key still works at the proxy,
   * then puts it back in every destination (each read back and compared by fingerprint),
   * registering for each a step that publishes the new key there again; deletes the new key; ends
   * the rotation as ROLLED_BACK. Nothing is revoked. If the check or a put-back fails, the steps
   * registered so far run in reverse (every destination holds the new key again), the rollback is
   * refused with what happened, and the rotation stays in its grace period.
   */
  private void rollBackOnRequest(RollbackAsk ask) {
    RotationRequest req = request;
    log.warn(
        "rotation {}: rollback asked by {} ({})",
        RotationMessages.who(req),
        ask.by,
        RotationMessages.masked(ask.reason));
    message = RotationMessages.rollingBack(ask.by, "checking that the old key still works");
    details();
    try {
      gateway.confirmUsable(req.gatewayUrl(), req.oldKey(), req.oldKeySealed());
    } catch (ActivityFailure e) {
      refuseRollback(ask, RotationMessages.rollbackRefusedOldKeyUnusable(req, e));
      return;
    }
    Compensations redo = new Compensations();
    List<String> holdTheOldKey = new ArrayList<>();
    try {
      for (Destination d : req.destinations()) {
        message =
            RotationMessages.rollingBack(ask.by, "putting the old key back in " + d.describe());
        details();
        MintedKey key = minted;
        // Registered before the write: a put-back whose reply was lost may have landed.
        redo.add(
            () -> {
              storeMustFinish.publishTo(d, key);
              return RotationMessages.republished(d, key.ref());
            },
            e -> RotationMessages.couldNotRepublish(d, key.ref(), e));
        store.putBackOldKey(
            d,
            req.oldKey(),
            req.oldKeySealed(),
            Workflow.getInfo().getWorkflowId(),
            req.generation());
        holdTheOldKey.add(d.describe());
      }
    } catch (ActivityFailure | CanceledFailure e) {
      String undone = redo.unwind();
      refuseRollback(ask, RotationMessages.rollbackUndone(req, e, undone));
      return;
    }
    message =
        RotationMessages.rollingBack(ask.by, "deleting the new key " + minted.ref().fingerprint());
    details();
    String discarded;
    try {
      discarded =
          RotationMessages.newKeyDiscarded(
              gatewayMustFinish.discardDerivedKey(mintRequest), mintRequest.alias());
    } catch (ActivityFailure e) {
      discarded = RotationMessages.couldNotDiscard(mintRequest.alias(), e);
    }
    message =
        RotationMessages.rolledBackOnRequest(req, ask.by, ask.reason, holdTheOldKey, discarded);
    setPhase(RotationPhase.ROLLED_BACK);
    log.warn(message);
    ask.done = true;
    // The update that asked answers before the rotation closes, so the CLI hears how it went.
    Workflow.await(Workflow::isEveryHandlerFinished);
    throw ApplicationFailure.newNonRetryableFailureWithCause(
        message,
        ROLLED_BACK,
        ApplicationFailure.newNonRetryableFailure(
            "rolled back on request of " + ask.by, ROLLED_BACK_ON_REQUEST));
  }

  /** A rollback that did not happen: the rotation goes on in its grace period. */
  private void refuseRollback(RollbackAsk ask, String why) {
    log.error(why);
    ask.refusal = why;
    ask.done = true;
    rollbackAsk = null;
    message =
        RotationMessages.inGrace(
            request, locationList(), Instant.ofEpochMilli(graceEndsAtMillis).toString());
    details();
  }

  @Override
  public void validateRollback(String reason, String requestedBy) {
    String refusal =
        RotationMessages.rollbackRefusal(
            request, phase, reason, revokeNowRequested, rollbackAsk != null);
    if (refusal != null) {
      throw ApplicationFailure.newNonRetryableFailure(refusal, ROLLBACK_REFUSED);
    }
  }

  @Override
  public RotationStatus rollback(String reason, String requestedBy) {
    RollbackAsk ask =
        new RollbackAsk(
            reason.strip(),
            requestedBy == null || requestedBy.isBlank() ? "unknown" : requestedBy.strip());
    rollbackAsk = ask;
    Workflow.await(() -> ask.done);
    if (ask.refusal != null) {
      throw ApplicationFailure.newNonRetryableFailure(ask.refusal, ROLLBACK_REFUSED);
    }
    return status();
  }

  @Override
  public void validateChangeGrace(GraceChange change) {
    String refusal =
        RotationMessages.graceChangeRefusal(
            request, phase, revokeNowRequested, rollbackAsk != null);
    if (refusal == null) {
      String problem =
          change == null
              ? "say how the grace period changes"
              : change.problem(
                  Instant.ofEpochMilli(Workflow.currentTimeMillis()),
                  Instant.ofEpochMilli(graceStartedAtMillis),
                  Instant.ofEpochMilli(graceEndsAtMillis));
      refusal = problem == null ? null : RotationMessages.graceChangeRefused(request, problem);
    }
    if (refusal != null) {
      throw ApplicationFailure.newNonRetryableFailure(refusal, GRACE_CHANGE_REFUSED);
    }
  }

  @Override
  public RotationStatus changeGrace(GraceChange change) {
    Instant before = Instant.ofEpochMilli(graceEndsAtMillis);
    Instant after = change.newEnd(Instant.ofEpochMilli(Workflow.currentTimeMillis()), before);
    graceEndsAtMillis = after.toEpochMilli();
    message = RotationMessages.graceChanged(request, locationList(), change, before, after);
    log.info(message);
    details();
    return status();
  }
}
