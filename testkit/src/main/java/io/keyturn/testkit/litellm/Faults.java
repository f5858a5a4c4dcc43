package io.keyturn.testkit.litellm;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;

/**
 * Fault injection, per route ({@code "/key/info"}) or for every route ({@code "*"}). Faults queued
 * with {@code ...Next} answer the next N matching requests, in the order they were queued; latency
 * applies to every matching request until {@link #clear()}. None of this is LiteLLM behaviour: it
 * is how tests make the proxy slow, throttled, failing or flaky on purpose.
 */
public final class Faults {
  /** Which injected fault answered a request. */
  enum Kind {
    RATE_LIMIT,
    FAIL,
    DROP,
    CAP
  }

  record Injection(Kind kind, int status, long retryAfterSeconds) {}

  private final Map<String, Deque<Injection>> queued = new HashMap<>();
  private final Map<String, Duration> latency = new HashMap<>();
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
   * proxy does not rate-limit management routes (litellm-api.md §11): this models a proxy whose
   * database or an API gateway in front of it is the bottleneck.
   */
  public synchronized Faults managementRateCap(int perSecond) {
    this.managementRateCap = Math.max(0, perSecond);
    return this;
  }

  /** Removes every fault and delay. */
  public synchronized Faults clear() {
    queued.clear();
    latency.clear();
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
