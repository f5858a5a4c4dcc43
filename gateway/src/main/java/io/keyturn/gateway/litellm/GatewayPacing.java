package io.keyturn.gateway.litellm;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How fast one worker sends management calls to each LiteLLM proxy. Unlimited until the proxy
 * answers 429; then, per gateway URL, every management call waits out the Retry-After the proxy
 * gave, and calls are paced at a rate that adapts to the proxy's limit:
 *
 * <ul>
 *   <li>The pace that drew a 429 is remembered as the proxy's ceiling, or what the proxy accepted
 *       in the last second if that was less (the pace ran ahead of the calls; at most a quarter
 *       less; before any pace was set, what it accepted is the first guess), and the pace drops to
 *       three quarters of it, at most once per second and not for a call sent before the last drop:
 *       a burst of 429s is one signal, not many.
 *   <li>It climbs back to 95% of the ceiling within about a second, then probes upwards slowly (to
 *       the ceiling in about 40 s), so the pause a 429 costs comes at most about every 40 s. A
 *       first ceiling read from what was accepted (no pace drew that 429) is only a guess (another
 *       client's calls make it low): the pace climbs to it and past it fast, and the next 429 sets
 *       the ceiling.
 *   <li>Past the old ceiling without a 429 (the proxy's limit went up) it speeds up again, faster
 *       the further above it is, until the next 429 sets a new ceiling.
 *   <li>It grows only while the proxy is tested at it: while it holds calls back and about as many
 *       went through in the last second. Calls that come slower than it allows (a fleet's wave
 *       ending) say nothing about a faster pace.
 * </ul>
 *
 * A fleet of rotations sharing the worker therefore slows down together, close to the proxy's
 * limit, instead of each failing and retrying on its own.
 *
 * <p>A call that is still throttled after {@link #budget()} of waiting is handed back as the 429,
 * and the activity's retry policy takes over (also honouring Retry-After); a call whose turn is
 * further away than that takes no turn. Each worker paces on its own; several workers against one
 * proxy each converge on a share of its limit.
 */
public final class GatewayPacing {
  private static final Logger log = LoggerFactory.getLogger(GatewayPacing.class);

  /** How long one call may wait in total (pauses and pacing) before its 429 is handed back. */
  public static final Duration DEFAULT_BUDGET = Duration.ofSeconds(30);

  private static final long SECOND = 1_000_000_000L;
  private static final double DECREASE = 0.75;

  /** Below this share of the ceiling the pace climbs fast; above it, it probes. */
  private static final double SETTLE = 0.95;

  /** Share of the ceiling gained per second of tested calls below the settle point. */
  private static final double CLIMB = 0.25;

  /**
   * The share of the pace that must have gone through in the last second for it to climb back
   * towards a recent ceiling ({@link #CLIMB}), and for it to probe beyond ({@link #TESTED}): above
   * the settle point the pace may run only a little ahead of what actually went through, or a proxy
   * answering just below its limit lets it drift a quarter above, and the next burst draws 429s.
   */
  private static final double CLIMB_TESTED = 0.8;

  private static final double TESTED = 0.95;

  /**
   * Share of the ceiling gained per second of tested calls from the settle point up: 40 s from 95%
   * to the ceiling, so that the pause each 429 costs (the Retry-After, during which nothing is
   * sent, and the drop) comes at most about every 40 s. Every 20 s cost fleets about 3% of the
   * proxy's limit (bench/RESULTS.md, lever 6); slower still delays finding a raised limit.
   */
  private static final double PROBE = 0.00125;

  /** Told of each 429 and of each change of pace (for metrics). Called outside any lock. */
  public interface Listener {
    /** The proxy at {@code gateway} answered 429; its pace is now {@code callsPerSecond}. */
    void throttled(String gateway, double callsPerSecond);

    Listener NONE = (gateway, callsPerSecond) -> {};
  }

  private final boolean enabled;
  private final Duration budget;
  private final LongSupplier nanoTime;
  private final Listener listener;
  private final Map<String, Gate> gates = new ConcurrentHashMap<>();

  private GatewayPacing(
      boolean enabled, Duration budget, LongSupplier nanoTime, Listener listener) {
    this.enabled = enabled;
    this.budget = budget;
    this.nanoTime = nanoTime;
    this.listener = listener;
  }

  /** The worker's default: adaptive, with {@link #DEFAULT_BUDGET}. */
  public static GatewayPacing adaptive() {
    return adaptive(Listener.NONE);
  }

  /** Adaptive, telling {@code listener} of every 429. */
  public static GatewayPacing adaptive(Listener listener) {
    return new GatewayPacing(true, DEFAULT_BUDGET, System::nanoTime, listener);
  }

  /** Adaptive with another budget and clock (tests). */
  public static GatewayPacing adaptive(Duration budget, LongSupplier nanoTime) {
    return new GatewayPacing(true, budget, nanoTime, Listener.NONE);
  }

  /** No pacing and no waiting: a 429 goes straight back to the caller (the CLI's one-off calls). */
  public static GatewayPacing off() {
    return new GatewayPacing(false, Duration.ZERO, System::nanoTime, Listener.NONE);
  }

  public boolean enabled() {
    return enabled;
  }

  public Duration budget() {
    return budget;
  }

  /** The gateway's current pace in calls per second; infinite while it has never throttled. */
  public double rate(String gateway) {
    Gate g = gates.get(gateway);
    return g == null ? Double.POSITIVE_INFINITY : g.rate();
  }

  /** How many 429s the gateway has answered this worker. */
  public long throttled(String gateway) {
    Gate g = gates.get(gateway);
    return g == null ? 0 : g.throttled();
  }

  /**
   * Reserves the next slot for a management call to {@code gateway}: the nanoseconds the caller
   * must wait before sending it (0: send now). A slot more than {@code maxWait} away is not
   * reserved (a caller that gives up must not push every later call back): the wait is returned all
   * the same.
   */
  long reserve(String gateway, long maxWait) {
    return enabled ? gate(gateway).reserve(nanoTime.getAsLong(), maxWait) : 0;
  }

  /** How long every management call to {@code gateway} must still wait for a 429's pause. */
  long pausedFor(String gateway) {
    return enabled ? gate(gateway).pausedFor(nanoTime.getAsLong()) : 0;
  }

  /**
   * How many times {@code gateway}'s pace has dropped. A caller that booked its turn before a drop
   * (the count changed while it slept) books again: its turn was spaced at the old pace, and
   * sending at it right after the pause draws the next 429.
   */
  long drops(String gateway) {
    return enabled ? gate(gateway).drops() : 0;
  }

  /** This pacing's clock (System.nanoTime() outside tests): when a call was sent. */
  long now() {
    return nanoTime.getAsLong();
  }

  /** The proxy accepted a management call (any answer but 429). */
  void accepted(String gateway) {
    if (enabled) {
      gate(gateway).accepted(nanoTime.getAsLong());
    }
  }

  /**
   * The proxy answered 429 to a call sent at {@code sentAt} ({@link #now()}), asking to wait {@code
   * retryAfter} (null: it did not say).
   */
  void throttled(String gateway, Duration retryAfter, long sentAt) {
    if (enabled) {
      Gate g = gate(gateway);
      g.throttled(gateway, nanoTime.getAsLong(), retryAfter, sentAt);
      listener.throttled(gateway, g.rate());
    }
  }

  private Gate gate(String gateway) {
    return gates.computeIfAbsent(gateway, g -> new Gate(nanoTime.getAsLong()));
  }

  /** One gateway's pace. All times are System.nanoTime() values. */
  private static final class Gate {
    private double rate = Double.POSITIVE_INFINITY;
    private double ceiling = Double.POSITIVE_INFINITY;
    private long lastHeldBack;
    private long nextSlot;
    private long pausedUntil;
    private long lastDecrease;
    private long windowStart;
    private long lastWindowLength = SECOND;
    private int acceptedThisWindow;
    private int acceptedLastWindow;

    /** When each call accepted in the last second was answered, oldest first. */
    private final ArrayDeque<Long> acceptedInLastSecond = new ArrayDeque<>();

    /** Every time starts from the first reading: System.nanoTime()'s origin is arbitrary. */
    Gate(long now) {
      lastHeldBack = now - 10 * SECOND;
      nextSlot = now;
      pausedUntil = now;
      lastDecrease = now;
      windowStart = now;
    }

    private long throttledCount;
    private long drops; // how many times the pace dropped (0: it never has)

    /** The ceiling is what the proxy accepted before any pace: a guess, not a pace's limit. */
    private boolean ceilingGuessed;

    synchronized double rate() {
      return rate;
    }

    synchronized long throttled() {
      return throttledCount;
    }

    synchronized long reserve(long now, long maxWait) {
      long slot = Math.max(now, pausedUntil);
      if (!Double.isInfinite(rate)) {
        slot = Math.max(slot, nextSlot);
      }
      if (slot - now > maxWait) {
        return slot - now; // not taken: the caller gives up
      }
      if (!Double.isInfinite(rate)) {
        nextSlot = slot + (long) (SECOND / rate);
      }
      if (slot > now) {
        lastHeldBack = now;
      }
      return slot - now;
    }

    synchronized long drops() {
      return drops;
    }

    synchronized long pausedFor(long now) {
      return Math.max(0, pausedUntil - now);
    }

    synchronized void accepted(long now) {
      roll(now);
      acceptedThisWindow++;
      acceptedInLastSecond.addLast(now);
      forget(now);
      // Only a pace the proxy is being tested at may grow: one that holds calls back and at
      // which about as many calls went through in the last whole second. While fewer calls are
      // wanted than it allows (a fleet's wave ending, a burst now and then), an accepted call
      // says nothing about a faster pace, and growing it then sends the next burst far above the
      // limit.
      if (!Double.isInfinite(rate) && now - lastHeldBack < SECOND) {
        // At `rate` calls/s, adding g / rate per call gains about g calls/s per second.
        double through = acceptedLastWindow * (double) SECOND / lastWindowLength;
        double settle = SETTLE * ceiling;
        if (rate < settle) {
          if (through >= CLIMB_TESTED * rate) {
            rate = Math.min(settle, rate + CLIMB * ceiling / rate);
          }
        } else if (through < TESTED * rate) {
          return; // not tested at this pace: no probing
        } else if (ceilingGuessed) {
          // The first ceiling is only what was accepted: climb on (at most about 5% a second,
          // what went through must keep up) until a 429 says where the limit is.
          rate += CLIMB * ceiling / rate;
        } else if (rate < ceiling) {
          rate += PROBE * ceiling / rate;
        } else {
          // Past the old ceiling without a 429: the proxy's limit went up. The gain grows with
          // the distance above it (at most about 5% more each second, since what went through
          // in the last second must keep up), so a raised limit is found within two minutes; the
          // next 429 sets the new ceiling.
          rate += Math.max(PROBE * ceiling, rate - ceiling) / rate;
        }
      }
    }

    synchronized void throttled(String gateway, long now, Duration retryAfter, long sentAt) {
      roll(now);
      double through = wentThrough(now);
      throttledCount++;
      long wait = retryAfter == null ? SECOND : retryAfter.toNanos();
      pausedUntil = Math.max(pausedUntil, now + wait);
      if (drops > 0 && (now - lastDecrease < SECOND || sentAt - lastDecrease < 0)) {
        // One decrease per second: a burst of 429s is one signal, not many; and a call sent
        // before the last decrease says nothing about the pace since.
        return;
      }
      double before = rate;
      // The pace that drew this 429 is the proxy's ceiling, unless less went through; before any
      // pace was set, what the proxy accepted in the last second (sliding, not the worker's own
      // window, which may have begun part way through the proxy's second) is the first guess.
      ceilingGuessed = Double.isInfinite(rate);
      ceiling =
          ceilingGuessed
              ? Math.max(1.0, acceptedInLastSecond.size())
              : Math.min(rate, Math.max(through, DECREASE * rate));
      rate = Math.max(1.0, ceiling * DECREASE);
      lastDecrease = now;
      // Turns booked at the old pace are void (their callers book again, see drops()): the queue
      // starts again after the pause, at the new pace.
      drops++;
      nextSlot = pausedUntil;
      log.info(
          "LiteLLM {} is throttling management calls (429): pausing {} ms, pace {} -> {} calls/s"
              + " (ceiling {})",
          gateway,
          wait / 1_000_000,
          Double.isInfinite(before) ? "unlimited" : String.format("%.1f", before),
          String.format("%.1f", rate),
          String.format("%.1f", ceiling));
    }

    /**
     * What the proxy accepted in the last second, if calls were free to go for all of it (no pause
     * in it), else infinite. A proxy that answers 429 has accepted its limit's worth since its
     * current second (or its bucket's refill) began, less than a second ago: so, from one worker,
     * its limit is at most this count. A pace that ran ahead of what actually went through (it
     * climbs while at least 80% of it does) is no measure of the limit; this is.
     */
    private double wentThrough(long now) {
      forget(now);
      return now - pausedUntil >= SECOND ? acceptedInLastSecond.size() : Double.POSITIVE_INFINITY;
    }

    private void forget(long now) {
      while (!acceptedInLastSecond.isEmpty() && now - acceptedInLastSecond.peekFirst() > SECOND) {
        acceptedInLastSecond.removeFirst();
      }
    }

    private void roll(long now) {
      if (now - windowStart >= SECOND) {
        lastWindowLength = now - windowStart;
        acceptedLastWindow = lastWindowLength < 2 * SECOND ? acceptedThisWindow : 0;
        acceptedThisWindow = 0;
        windowStart = now;
      }
    }
  }
}
