package io.keyturn.testkit.litellm;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Fault injection, per route ({@code "/key/info"}) or for every route ({@code "*"}). Faults queued
 * with {@code ...Next} answer the next N matching requests, in the order they were queued; latency
 * applies to every matching request until {@link #clear()}; {@link #randomly} draws faults for
 * every matching request from a seeded generator (for chaos runs), after any queued fault. None of
 * this is LiteLLM behaviour: it is how tests make the proxy slow, throttled, failing or flaky on
 * purpose.
 */
public final class Faults {
  /** Which injected fault answered a request. */
  enum Kind {
    RATE_LIMIT,
    FAIL,
    DROP,
    DROP_REPLY,
    CAP
  }

  record Injection(Kind kind, int status, long retryAfterSeconds) {}

  /** Per-request chances of a fault, drawn from one seeded generator so a run can be replayed. */
  private record Chances(double dropReply, double fail, double rateLimit, Random random) {}

  private final Map<String, Deque<Injection>> queued = new HashMap<>();
  private final Map<String, Duration> latency = new HashMap<>();
  private final Map<String, Chances> chances = new HashMap<>();
  private Duration deletePropagationDelay = Duration.ZERO;
  private int managementRateCap;
  private long capWindowSecond = -1;
  private int capWindowCount;

  /** Adds {@code delay} before answering every request to {@code route} ("*" for all). */
  public synchronized Faults latency(String route, Duration delay) {
    latency.put(route, delay);
    return this;
  }

  /** The next {@code count} requests to {@code route} get 429 with {@code retry-after}. */
  public synchronized Faults rateLimitNext(String route, int count, long retryAfterSeconds) {
    return queue(route, count, new Injection(Kind.RATE_LIMIT, 429, retryAfterSeconds));
  }

  /** The next {@code count} requests to {@code route} get {@code status} (500, 502, 503...). */
  public synchronized Faults failNext(String route, int status, int count) {
    return queue(route, count, new Injection(Kind.FAIL, status, 0));
  }

  /** The next {@code count} requests to {@code route} lose their connection with no answer. */
  public synchronized Faults dropConnectionNext(String route, int count) {
    return queue(route, count, new Injection(Kind.DROP, 0, 0));
  }

  /**
   * The next {@code count} requests to {@code route} are processed (a key is created, deleted...),
   * then lose their connection before the answer: the proxy did it, the client never hears.
   */
  public synchronized Faults dropReplyNext(String route, int count) {
    return queue(route, count, new Injection(Kind.DROP_REPLY, 0, 0));
  }

  /**
   * From now on each request to {@code route} ("*" for all) independently loses its reply after
   * being processed with chance {@code dropReplyRate}, gets 500 with chance {@code failRate}, or
   * 429 ({@code retry-after: 1}) with chance {@code rateLimitRate}; the draws come from a generator
   * seeded with {@code seed}. Rates of 0 for all three turn it off for that route.
   */
  public synchronized Faults randomly(
      String route, double dropReplyRate, double failRate, double rateLimitRate, long seed) {
    for (double rate : new double[] {dropReplyRate, failRate, rateLimitRate}) {
      if (rate < 0 || rate > 1) {
        throw new IllegalArgumentException("a fault rate is between 0 and 1, got " + rate);
      }
    }
    if (dropReplyRate + failRate + rateLimitRate > 1) {
      throw new IllegalArgumentException("fault rates add up to more than 1");
    }
    if (dropReplyRate + failRate + rateLimitRate == 0) {
      chances.remove(route);
    } else {
      chances.put(route, new Chances(dropReplyRate, failRate, rateLimitRate, new Random(seed)));
    }
    return this;
  }

  /**
   * How long a deleted key keeps authenticating (LiteLLM's cross-pod cache; up to 60 s for real).
   * Its row is gone at once: {@code /key/info} answers 404 meanwhile.
   */
  public synchronized Faults deletePropagationDelay(Duration delay) {
    this.deletePropagationDelay = delay;
    return this;
  }

  /**
   * Caps management requests (every {@code /key/*} route) at {@code perSecond} within each wall
   * clock second; beyond it they get 429 with {@code retry-after: 1}. 0 turns the cap off. The real
   * proxy does not rate-limit management routes (the conformance case {@code noManagementRateLimit}
   * checks it on each tested release): this models a proxy whose database or an API gateway in
   * front of it is the bottleneck.
   */
  public synchronized Faults managementRateCap(int perSecond) {
    this.managementRateCap = Math.max(0, perSecond);
    return this;
  }

  /** Removes every fault and delay. */
  public synchronized Faults clear() {
    queued.clear();
    latency.clear();
    chances.clear();
    deletePropagationDelay = Duration.ZERO;
    managementRateCap = 0;
    return this;
  }

  synchronized Duration deletePropagationDelay() {
    return deletePropagationDelay;
  }

  private Faults queue(String route, int count, Injection injection) {
    Deque<Injection> q = queued.computeIfAbsent(route, r -> new ArrayDeque<>());
    for (int i = 0; i < count; i++) {
      q.add(injection);
    }
    return this;
  }

  synchronized Duration latencyFor(String route) {
    Duration d = latency.getOrDefault(route, Duration.ZERO);
    return d.plus(latency.getOrDefault("*", Duration.ZERO));
  }

  /** The fault that answers this request instead of the API, or null. Consumes it. */
  synchronized Injection take(String route, boolean management, long nowMillis) {
    for (String key : new String[] {route, "*"}) {
      Deque<Injection> q = queued.get(key);
      if (q != null && !q.isEmpty()) {
        return q.poll();
      }
    }
    for (String key : new String[] {route, "*"}) {
      Chances c = chances.get(key);
      if (c != null) {
        double draw = c.random().nextDouble();
        if (draw < c.dropReply()) {
          return new Injection(Kind.DROP_REPLY, 0, 0);
        }
        if (draw < c.dropReply() + c.fail()) {
          return new Injection(Kind.FAIL, 500, 0);
        }
        if (draw < c.dropReply() + c.fail() + c.rateLimit()) {
          return new Injection(Kind.RATE_LIMIT, 429, 1);
        }
        break;
      }
    }
    if (management && managementRateCap > 0) {
      long second = nowMillis / 1000;
      if (second != capWindowSecond) {
        capWindowSecond = second;
        capWindowCount = 0;
      }
      if (++capWindowCount > managementRateCap) {
        return new Injection(Kind.CAP, 429, 1);
      }
    }
    return null;
  }
}
