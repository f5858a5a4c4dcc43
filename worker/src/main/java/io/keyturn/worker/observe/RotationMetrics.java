package io.keyturn.worker.observe;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keyturn's rotation metrics, in one Prometheus registry that also carries the Temporal SDK's own
 * metrics. The alert rules in deploy/prometheus/alerts.yml use only names this registry exports
 * (RotationMetricsTest scrapes it and checks every rule). Values are never labels: a secret is
 * named by its id, a key by nothing at all.
 */
public final class RotationMetrics {
  public static final String STARTED = "keyturn_rotations_started";
  public static final String COMPLETED = "keyturn_rotations_completed";
  public static final String ACTIVITY = "keyturn_activity_duration_seconds";
  public static final String LAST_SUCCESS = "keyturn_last_success_timestamp_seconds";
  public static final String KEY_EXPIRY = "keyturn_key_expiry_timestamp_seconds";
  public static final String IN_GRACE = "keyturn_keys_in_grace";
  public static final String GRACE_ENDS = "keyturn_grace_ends_timestamp_seconds";
  public static final String NEXT_ROTATION = "keyturn_next_rotation_timestamp_seconds";
  public static final String GATEWAY_THROTTLED = "keyturn_gateway_throttled";
  public static final String GATEWAY_PACE = "keyturn_gateway_pace_calls_per_second";
  public static final String DRIFT = "keyturn_drift";
  public static final String ORPHAN_KEYS = "keyturn_orphan_keys";
  public static final String REVOKE_HELD = "keyturn_revoke_held";
  public static final String REVOKE_HOLDS = "keyturn_revoke_holds";
  public static final String AWAITING_PROVIDER_KEY = "keyturn_provider_keys_awaited";

  /** Outcome label values. */
  public static final String SUCCEEDED = "succeeded";

  public static final String FAILED = "failed";
  public static final String ROLLED_BACK = "rolled_back";

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Map<String, AtomicLong> lastSuccess = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> keyExpiry = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> nextRotation = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> graceEnds = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> revokeHeld = new ConcurrentHashMap<>();
  private final AtomicLong inGrace = new AtomicLong(-1);
  private final Map<String, AtomicLong> drift = new ConcurrentHashMap<>();
  private final AtomicLong orphanKeys = new AtomicLong(-1);
  private final AtomicLong awaitingProviderKey = new AtomicLong(-1);
  private final Map<String, AtomicReference<Double>> gatewayPace = new ConcurrentHashMap<>();

  public RotationMetrics() {
    Gauge.builder(IN_GRACE, inGrace, AtomicLong::get)
        .description("Rotations in their grace period (old and new key both valid); -1 unknown")
        .register(registry);
    Gauge.builder(ORPHAN_KEYS, orphanKeys, AtomicLong::get)
        .description(
            "Keys Keyturn minted that no destination holds and no running rotation owns, at the"
                + " last orphan sweep; -1 unknown")
        .register(registry);
    Gauge.builder(AWAITING_PROVIDER_KEY, awaitingProviderKey, AtomicLong::get)
        .description(
            "Provider-key rotations waiting for a person to hand in the new key (`keyturn"
                + " provide`); -1 unknown")
        .register(registry);
  }

  public void providerKeysAwaited(long n) {
    awaitingProviderKey.set(n);
  }

  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text exposition of everything registered. */
  public String scrape() {
    return registry.scrape();
  }

  public void rotationStarted(String secret) {
    Counter.builder(STARTED)
        .description("Rotations this worker started running")
        .tag("secret", secret)
        .register(registry)
        .increment();
  }

  /**
   * A rotation ended: {@code outcome} is {@link #SUCCEEDED}, {@link #FAILED} or {@link
   * #ROLLED_BACK}; {@code failureType} the root failure's type ("" on success).
   */
  public void rotationCompleted(String secret, String outcome, String failureType, long nowMillis) {
    Counter.builder(COMPLETED)
        .description("Rotations that ended, by outcome and the root failure's type")
        .tag("secret", secret)
        .tag("outcome", outcome)
        .tag("failure_type", failureType == null ? "" : failureType)
        .register(registry)
        .increment();
    if (SUCCEEDED.equals(outcome)) {
      gauge(lastSuccess, LAST_SUCCESS, "When the secret's last rotation succeeded", secret)
          .set(nowMillis / 1000);
    }
  }

  /**
   * One activity attempt: its type is the step (MintKey, VerifyKey, PublishTo, DeleteKey,
   * ConfirmRevoked...).
   */
  public void activity(
      String activity, String secret, String outcome, String failureType, Duration took) {
    Timer.builder(ACTIVITY)
        .description("Duration of each rotation step (one activity attempt)")
        .tag("activity", activity)
        .tag("secret", secret)
        .tag("outcome", outcome)
        .tag("failure_type", failureType == null ? "" : failureType)
        .register(registry)
        .record(took);
  }

  /** The newest key of a secret expires at this time (LiteLLM's expires; absent = never). */
  public void keyExpiry(String secret, long epochSeconds) {
    gauge(keyExpiry, KEY_EXPIRY, "When the secret's newest key expires at the proxy", secret)
        .set(epochSeconds);
  }

  /** The secret's new key is published; its old key is due for revocation at this time. */
  public void graceEndsAt(String secret, long epochSeconds) {
    gauge(graceEnds, GRACE_ENDS, "When the secret's current grace period should end", secret)
        .set(epochSeconds);
  }

  /** The grace period of this secret ended (revoking, or the rotation is over): back to 0. */
  public void graceEnded(String secret) {
    AtomicLong g = graceEnds.get(secret);
    if (g != null) {
      g.set(0);
    }
  }

  /**
   * The drain gate read the old key's use: {@code held} true while its revoke is held because the
   * key is still carrying traffic (the gauge is 1, and each new hold counts once), false when the
   * hold ends or the revoke begins.
   */
  public void revokeHeld(String secret, boolean held) {
    AtomicLong g =
        held
            ? gauge(
                revokeHeld,
                REVOKE_HELD,
                "1 while the revoke of the secret's old key is held: grace is over and the key is"
                    + " still in use",
                secret)
            : revokeHeld.get(secret);
    if (g == null) {
      return;
    }
    if (g.getAndSet(held ? 1 : 0) == 0 && held) {
      Counter.builder(REVOKE_HOLDS)
          .description("Revokes held because the old key was still in use when grace ended")
          .tag("secret", secret)
          .register(registry)
          .increment();
    }
  }

  public void keysInGrace(long n) {
    inGrace.set(n);
  }

  public void nextRotation(String secret, long epochSeconds) {
    gauge(nextRotation, NEXT_ROTATION, "When the secret's schedule next starts a rotation", secret)
        .set(epochSeconds);
  }

  /**
   * A LiteLLM proxy answered this worker's management call with 429; the worker now paces its calls
   * to it at {@code callsPerSecond}. Tagged by gateway URL, never by anything secret.
   */
  public void gatewayThrottled(String gateway, double callsPerSecond) {
    Counter.builder(GATEWAY_THROTTLED)
        .description("Management calls the LiteLLM proxy answered with 429 (throttling)")
        .tag("gateway", gateway)
        .register(registry)
        .increment();
    gatewayPace
        .computeIfAbsent(
            gateway,
            g -> {
              AtomicReference<Double> v = new AtomicReference<>(Double.NaN);
              Gauge.builder(GATEWAY_PACE, v, AtomicReference::get)
                  .description(
                      "The pace this worker sends management calls to the proxy at, after its"
                          + " last 429")
                  .tag("gateway", g)
                  .register(registry);
              return v;
            })
        .set(callsPerSecond);
  }

  /** An orphan sweep found {@code n} orphans. */
  public void orphanKeys(long n) {
    orphanKeys.set(n);
  }

  /**
   * A drift check of {@code secret} ended: 1 drift (a destination or the proxy no longer holds what
   * it should), 0 none, -1 not checked (a rotation ran, a store did not answer).
   */
  public void drift(String secret, String state) {
    gauge(
            drift,
            DRIFT,
            "1 when the secret's destinations or proxy key drifted from what Keyturn published, 0"
                + " when not, -1 when the last check could not tell",
            secret)
        .set("drift".equals(state) ? 1 : "ok".equals(state) ? 0 : -1);
  }

  private AtomicLong gauge(Map<String, AtomicLong> by, String name, String help, String secret) {
    return by.computeIfAbsent(
        secret,
        s -> {
          AtomicLong v = new AtomicLong();
          Gauge.builder(name, v, AtomicLong::get)
              .description(help)
              .tag("secret", s)
              .register(registry);
          return v;
        });
  }
}
