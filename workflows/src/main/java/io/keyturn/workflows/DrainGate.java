package io.keyturn.workflows;

import io.keyturn.workflows.model.DrainPolicy;
import io.keyturn.workflows.model.KeyUse;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;

/**
 * The drain gate a rotation passes between the end of its grace period and the revoke of its old
 * key: while the proxy says the old key was used within the policy's window ({@link
 * DrainPolicy#usedWithin}), the revoke is held and the key's use is read again on a durable timer,
 * until the traffic stops, the hold reaches its limit ({@link DrainPolicy#maxHold}: then revoke or
 * keep waiting, per {@link DrainPolicy#onLimit}), or an operator sends {@code revokeNow}.
 *
 * <p>The gate protects clients, not the rotation: a use that cannot be read (the proxy down past
 * the step deadline) lets the revoke go ahead, as it would have without the gate, and says so.
 */
final class DrainGate {
  private static final Logger log = Workflow.getLogger(DrainGate.class);

  /** After the hold's limit, a policy that waits for an operator rechecks at most this often. */
  static final Duration AFTER_LIMIT_RECHECK = Duration.ofHours(1);

  private final LiteLlmActivities local;
  private final LiteLlmActivities gateway;
  private final Runnable beforeFallback;

  /**
   * {@code local}: a local-activity stub the read is tried on first ({@link LocalFirst}); {@code
   * gateway}: a stub with bounded retries (the check is read-only).
   */
  DrainGate(LiteLlmActivities local, LiteLlmActivities gateway) {
    this(local, gateway, () -> {});
  }

  /**
   * As above; {@code beforeFallback}: see {@link LocalFirst#run(Object, Object,
   * java.util.function.Function, Runnable)}.
   */
  DrainGate(LiteLlmActivities local, LiteLlmActivities gateway, Runnable beforeFallback) {
    this.local = local;
    this.gateway = gateway;
    this.beforeFallback = beforeFallback;
  }

  /**
   * Waits until the old key of {@code req} may be revoked. {@code revokeNow} is the operator's
   * signal (it releases any hold, and skips the gate when already set); {@code holding} is told
   * each time the hold starts or changes, with the words for the rotation's current details.
   *
   * @return how the gate ended, in a sentence for the rotation's summary; empty when it held
   *     nothing
   */
  String await(RotationRequest req, BooleanSupplier revokeNow, Consumer<String> holding) {
    DrainPolicy p = req.drainPolicy();
    if (!p.enabled() || revokeNow.getAsBoolean()) {
      return "";
    }
    KeyUse use = check(req, p);
    if (use == null || !use.usedWithinWindow()) {
      return use == null ? RotationMessages.drainUnreadable(req.oldKey()) : "";
    }
    long start = Workflow.currentTimeMillis();
    long limitAt = start + p.maxHold().toMillis();
    holding.accept(RotationMessages.revokeHeld(use, p, Instant.ofEpochMilli(limitAt).toString()));
    log.warn(
        "rotation {}: revoke of {} held, last used {} s ago",
        RotationMessages.who(req),
        req.oldKey().fingerprint(),
        use.secondsAgo());
    boolean limitSaid = false;
    while (true) {
      long now = Workflow.currentTimeMillis();
      boolean atLimit = now >= limitAt;
      if (atLimit && p.onLimit() == DrainPolicy.OnLimit.REVOKE) {
        return RotationMessages.drainLimitRevoked(use, p);
      }
      if (atLimit && !limitSaid) {
        limitSaid = true;
        holding.accept(RotationMessages.revokeHeldForOperator(use, p));
      }
      Duration wait =
          atLimit
              ? max(p.recheckEvery(), AFTER_LIMIT_RECHECK)
              : min(p.recheckEvery(), Duration.ofMillis(limitAt - now));
      if (Workflow.await(wait, revokeNow::getAsBoolean)) {
        return RotationMessages.drainReleasedByOperator(req.oldKey());
      }
      KeyUse again = check(req, p);
      if (again == null || !again.usedWithinWindow()) {
        return again == null
            ? RotationMessages.drainUnreadable(req.oldKey())
            : RotationMessages.drainReleased(again, p);
      }
      use = again;
      holding.accept(
          limitSaid
              ? RotationMessages.revokeHeldForOperator(use, p)
              : RotationMessages.revokeHeld(use, p, Instant.ofEpochMilli(limitAt).toString()));
    }
  }

  /** The old key's use, or null when the proxy could not tell within the step's deadline. */
  private KeyUse check(RotationRequest req, DrainPolicy p) {
    try {
      KeyUse use =
          LocalFirst.run(
              local,
              gateway,
              g -> g.keyUse(req.gatewayUrl(), req.oldKey(), p.usedWithin()),
              beforeFallback);
      return use == null ? KeyUse.unknown(req.oldKey()) : use;
    } catch (ActivityFailure e) {
      log.warn(
          "rotation {}: could not read the use of {} ({}); the revoke goes ahead",
          RotationMessages.who(req),
          req.oldKey().fingerprint(),
          RotationMessages.rootMessage(e));
      return null;
    }
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }
}
