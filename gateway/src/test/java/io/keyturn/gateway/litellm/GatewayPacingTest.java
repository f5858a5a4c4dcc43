package io.keyturn.gateway.litellm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The worker's adaptive pacing of management calls, against the emulator's management throughput
 * cap (429 with retry-after: 1 beyond N calls per wall-clock second): calls from many threads all
 * succeed, slowed down instead of failed, and a proxy that keeps throttling past the budget gets
 * the retryable failure that honours Retry-After.
 */
class GatewayPacingTest {
  static final String MASTER = "sk-test-master-pacing-000001";

  LiteLlmEmulator proxy;
  JsonHttp http;

  @BeforeEach
  void start() {
    proxy = LiteLlmEmulator.builder().masterKey(MASTER).build().start();
    http = new JsonHttp(Duration.ofSeconds(5));
  }

  @AfterEach
  void stop() {
    http.close();
    proxy.close();
  }

  @Test
  void underACapManyConcurrentCallsAllSucceedAndThePaceSettlesNearTheCap() throws Exception {
    String hash = KeyMaterial.tokenHash(proxy.createKey(Map.of("key_alias", "svc")));
    proxy.faults().managementRateCap(8);
    GatewayPacing pacing = GatewayPacing.adaptive();
    LiteLlmClient client = new LiteLlmClient(http, () -> MASTER, pacing);
    String gw = proxy.baseUrl();

    ExecutorService pool = Executors.newFixedThreadPool(8);
    List<Future<Integer>> replies = new ArrayList<>();
    long t0 = System.nanoTime();
    for (int i = 0; i < 48; i++) {
      replies.add(pool.submit(() -> client.keyInfo(gw, hash).status()));
    }
    List<Integer> statuses = new ArrayList<>();
    for (Future<Integer> f : replies) {
      statuses.add(f.get());
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    pool.shutdown();

    assertThat(statuses).containsOnly(200); // no call was failed by throttling
    assertThat(pacing.throttled(gw)).isPositive(); // the cap was hit, and honoured
    assertThat(pacing.rate(gw)).isFinite().isBetween(1.0, 16.0);
    // 48 calls at no more than 8 a second cannot take less than 5 whole seconds' windows
    assertThat(seconds).isGreaterThan(4.0);
  }

  @Test
  void aCallStillThrottledAfterTheBudgetIsARetryableFailureWithTheDelay() {
    String hash = KeyMaterial.tokenHash(proxy.createKey(Map.of("key_alias", "svc")));
    proxy.faults().rateLimitNext("/key/info", 10, 3);
    GatewayPacing pacing = GatewayPacing.adaptive(Duration.ofSeconds(2), System::nanoTime);
    LiteLlmClient client = new LiteLlmClient(http, () -> MASTER, pacing);

    assertThatThrownBy(() -> client.keyInfo(proxy.baseUrl(), hash))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.TRANSIENT);
              assertThat(f.isNonRetryable()).isFalse();
              assertThat(f.getNextRetryDelay())
                  .isBetween(Duration.ofSeconds(2), Duration.ofSeconds(3));
              assertThat(f.getOriginalMessage()).doesNotContain(MASTER);
            });
    assertThat(pacing.throttled(proxy.baseUrl())).isEqualTo(1);
  }

  @Test
  void aRetryAfterPausesEveryManagementCallToThatGateway() {
    String hash = KeyMaterial.tokenHash(proxy.createKey(Map.of("key_alias", "svc")));
    proxy.faults().rateLimitNext("/key/info", 1, 2);
    GatewayPacing pacing = GatewayPacing.adaptive();
    LiteLlmClient client = new LiteLlmClient(http, () -> MASTER, pacing);

    long t0 = System.nanoTime();
    var first = client.keyInfo(proxy.baseUrl(), hash); // 429, pause 2 s, then 200
    var second = client.keyInfo(proxy.baseUrl(), hash);
    double seconds = (System.nanoTime() - t0) / 1e9;

    assertThat(first.status()).isEqualTo(200);
    assertThat(second.status()).isEqualTo(200);
    assertThat(seconds).isGreaterThanOrEqualTo(2.0);
  }

  @Test
  void theListenerHearsOfEach429WithTheNewPace() {
    String hash = KeyMaterial.tokenHash(proxy.createKey(Map.of("key_alias", "svc")));
    proxy.faults().rateLimitNext("/key/info", 1, 1);
    List<Double> heard = new ArrayList<>();
    GatewayPacing pacing = GatewayPacing.adaptive((gw, rate) -> heard.add(rate));
    LiteLlmClient client = new LiteLlmClient(http, () -> MASTER, pacing);

    assertThat(client.keyInfo(proxy.baseUrl(), hash).status()).isEqualTo(200);
    assertThat(heard).hasSize(1);
    assertThat(heard.get(0)).isFinite().isGreaterThanOrEqualTo(1.0); // the pace right after it
  }

  @Test
  void withoutPacingA429GoesStraightBack() {
    String hash = KeyMaterial.tokenHash(proxy.createKey(Map.of("key_alias", "svc")));
    proxy.faults().rateLimitNext("/key/info", 1, 30);
    LiteLlmClient client = new LiteLlmClient(http, () -> MASTER);

    long t0 = System.nanoTime();
    assertThat(client.keyInfo(proxy.baseUrl(), hash).status()).isEqualTo(429);
    assertThat((System.nanoTime() - t0) / 1e9).isLessThan(5.0);
  }

  @Test
  void thePaceDropsOnThrottlingClimbsFastTo95PercentOfTheCeilingThenProbes() {
    long[] now = {0};
    GatewayPacing pacing = GatewayPacing.adaptive(Duration.ofSeconds(30), () -> now[0]);
    String gw = "http://gw";
    // the proxy accepted 20 calls in the last second, then said 429: the ceiling is 20
    for (int i = 0; i < 20; i++) {
      now[0] += 40_000_000L;
      accept(pacing, gw);
    }
    throttle(pacing, gw, Duration.ofSeconds(1));
    assertThat(pacing.rate(gw)).isEqualTo(15.0);
    // a second 429 within the same second is the same signal
    throttle(pacing, gw, Duration.ofSeconds(1));
    assertThat(pacing.rate(gw)).isEqualTo(15.0);
    // a 429 at 15 calls/s a second and a half later: the ceiling is now 15
    now[0] += 1_500_000_000L;
    throttle(pacing, gw, Duration.ofSeconds(1));
    assertThat(pacing.rate(gw)).isEqualTo(11.25);
    // the pause, a whole second at 11.25 (the pace is tested), then a quarter of the ceiling per
    // second: 95% of 15 within 4 s; then 0.125% of it per second, 15 in 40 s
    saturate(pacing, gw, now, 4);
    assertThat(pacing.rate(gw)).isBetween(14.25, 14.3);
    saturate(pacing, gw, now, 10);
    assertThat(pacing.rate(gw)).isBetween(14.4, 14.5);
    assertThat(pacing.throttled(gw)).isEqualTo(3);
  }

  @Test
  void aProbeThatDrawsA429LowersTheCeilingToThePaceThatDrewIt() {
    long[] now = {0};
    GatewayPacing pacing = pacedTo429(now, 40);
    String gw = GW; // ceiling 30, pace 22.5
    saturate(pacing, gw, now, 5);
    double settled = pacing.rate(gw);
    assertThat(settled).isBetween(28.5, 28.8); // 28.5 = 95% of 30, then a little probing
    throttle(pacing, gw, Duration.ofSeconds(1)); // the proxy's limit was below 30 after all
    assertThat(pacing.rate(gw)).isEqualTo(settled * 0.75);
    saturate(pacing, gw, now, 5);
    assertThat(pacing.rate(gw)).isBetween(settled * 0.95, settled * 0.95 + 0.5);
  }

  @Test
  void theFirstCeilingIsWhatWasAcceptedInTheLastSecondWhereverTheWorkersWindowsFall() {
    long[] now = {0};
    GatewayPacing pacing = GatewayPacing.adaptive(Duration.ofSeconds(30), () -> now[0]);
    String gw = GW;
    accept(pacing, gw); // the worker's first window begins here, at 0
    now[0] = 500_000_000L;
    // 40 calls from 0.5 s to 1.5 s, then a 429: 40 went through in the last second, though each
    // of the worker's one-second windows saw only 20 of them
    steadily(pacing, gw, now, 40, 1);
    throttle(pacing, gw, Duration.ofSeconds(1));
    assertThat(pacing.rate(gw)).isEqualTo(30.0); // 3/4 of 40, not of 21
  }

  @Test
  void aPaceAheadOfWhatWentThroughSetsTheCeilingAtWhatWentThrough() {
    long[] now = {0};
    GatewayPacing pacing = pacedTo429(now, 40);
    String gw = GW; // ceiling 30, pace 22.5
    saturate(pacing, gw, now, 5);
    double pace = pacing.rate(gw);
    assertThat(pace).isBetween(28.5, 28.8);
    // two seconds of calls at 24/s (the fleet wanted no more), then a 429: the proxy took 24 in
    // the last second and refused the next, so its limit is 24, not the pace of 28.5
    steadily(pacing, gw, now, 24, 2);
    throttle(pacing, gw, Duration.ofSeconds(1));
    assertThat(pacing.rate(gw)).isBetween(0.75 * 24, 0.75 * 25);
    saturate(pacing, gw, now, 5);
    assertThat(pacing.rate(gw)).isBetween(0.95 * 24, 0.95 * 25 + 0.1);
  }

  @Test
  void aWorkerThatSentLittleBeforeA429DropsNoFurtherThanTwoDecreases() {
    long[] now = {0};
    GatewayPacing pacing = pacedTo429(now, 40);
    String gw = GW;
    saturate(pacing, gw, now, 5);
    double pace = pacing.rate(gw);
    // 3 calls a second (another client may be using the proxy's limit): a 429 then says little
    // about this worker's share; the ceiling drops to 3/4 of the pace, not to 3
    steadily(pacing, gw, now, 3, 2);
    throttle(pacing, gw, Duration.ofSeconds(1));
    assertThat(pacing.rate(gw)).isCloseTo(0.75 * 0.75 * pace, within(1e-9));
  }

  @Test
  void pastTheOldCeilingWithoutA429ThePaceFindsARaisedLimitWithinTwoMinutes() {
    long[] now = {0};
    GatewayPacing pacing = pacedTo429(now, 20);
    String gw = GW; // ceiling 15, pace 11.25
    // the proxy's limit is raised to 50: every call is accepted, as fast as the pace lets them go
    long start = now[0];
    while (pacing.rate(gw) < 50 && now[0] - start < 240_000_000_000L) {
      saturate(pacing, gw, now, 0.1);
    }
    double seconds = (now[0] - start) / 1e9;
    // 11.25 -> 14.25 fast, 14.25 -> 15 in about 40 s, then above 15 faster and faster (at most
    // about 5% a second: what went through must keep up)
    assertThat(pacing.rate(gw)).isGreaterThanOrEqualTo(50);
    assertThat(seconds).isBetween(40.0, 120.0);
  }

  @Test
  void aFirstCeilingReadFromTheAcceptedCallsIsPassedFastThenThePaceThatDrewA429Holds() {
    long[] now = {0};
    GatewayPacing pacing = acceptedThen429(now, 20, 50_000_000L);
    String gw = GW; // 20 accepted before the first 429: the limit is at least 20; pace 15
    saturate(pacing, gw, now, 8);
    double passed = pacing.rate(gw);
    assertThat(passed).isGreaterThan(22.0); // not 40 s of probing below 20
    throttle(pacing, gw, Duration.ofSeconds(1)); // that pace drew a 429: it is the ceiling
    saturate(pacing, gw, now, 20);
    assertThat(pacing.rate(gw)).isBetween(passed * 0.95, passed);
  }

  @Test
  void aPaceThatHoldsBackOnlyBurstsDoesNotGrow() {
    long[] now = {0};
    GatewayPacing pacing = acceptedThen429(now, 20, 40_000_000L);
    String gw = GW; // ceiling 20, pace 15
    now[0] += 2_000_000_000L; // the pause is over
    // a minute of three calls wanted at once every second (a wave's tail): the second and third
    // wait for their slots, but three a second do not test fifteen
    for (int i = 0; i < 60; i++) {
      long t = now[0];
      for (int k = 0; k < 3; k++) {
        long wait = pacing.reserve(gw, Long.MAX_VALUE);
        now[0] = t + wait;
        pacing.accepted(gw);
      }
      now[0] = t + 1_000_000_000L;
    }
    assertThat(pacing.rate(gw)).isEqualTo(15.0);
  }

  @Test
  void callsAtNinetyPercentOfThePaceThatAreNeverHeldBackDoNotRaiseIt() {
    long[] now = {0};
    GatewayPacing pacing = acceptedThen429(now, 20, 40_000_000L);
    String gw = GW; // ceiling 20, pace 15
    now[0] += 2_000_000_000L;
    long gap = (long) (1e9 / 13.5); // 13.5 calls/s, evenly: each comes after its slot
    for (int i = 0; i < 600; i++) {
      now[0] += gap;
      assertThat(pacing.reserve(gw, Long.MAX_VALUE)).isZero();
      pacing.accepted(gw);
    }
    assertThat(pacing.rate(gw)).isEqualTo(15.0);
  }

  @Test
  void aCallerWhoseTurnIsBeyondTheBudgetTakesNoTurn() {
    long[] now = {5_000_000_000L};
    GatewayPacing pacing = GatewayPacing.adaptive(Duration.ofSeconds(30), () -> now[0]);
    String gw = "http://gw";
    accept(pacing, gw);
    throttle(pacing, gw, Duration.ofSeconds(1)); // one call went through: pace 1 call/s
    assertThat(pacing.rate(gw)).isEqualTo(1.0);
    long budget = Duration.ofSeconds(30).toNanos();
    int refused = 0;
    for (int i = 0; i < 100; i++) { // a hundred rotations want a call at once
      if (pacing.reserve(gw, budget) > budget) {
        refused++;
      }
    }
    assertThat(refused).isEqualTo(70);
    // the refused ones did not push the queue back: the next turn is 30-31 s away, not 100
    assertThat(pacing.reserve(gw, Long.MAX_VALUE)).isBetween(30_000_000_000L, 31_000_000_000L);
  }

  @Test
  void a429ToACallSentBeforeTheLastDropDoesNotDropThePaceAgain() {
    long[] now = {0};
    GatewayPacing pacing = GatewayPacing.adaptive(Duration.ofSeconds(30), () -> now[0]);
    String gw = "http://gw";
    for (int i = 0; i < 20; i++) {
      now[0] += 40_000_000L;
      accept(pacing, gw);
    }
    long sentBefore = now[0] - 100_000_000L;
    throttle(pacing, gw, Duration.ofSeconds(60)); // an RPM limit: ceiling 20, pace 15
    now[0] += 1_500_000_000L;
    // a caller that had its turn before the drop hears its 429 only now
    pacing.throttled(gw, Duration.ofSeconds(60), sentBefore);
    assertThat(pacing.rate(gw)).isEqualTo(15.0);
    assertThat(pacing.pausedFor(gw)).isGreaterThan(58_000_000_000L); // the pause still holds
  }

  @Test
  void callsWantedJustBelowThePaceLetItRunOnlyALittleAheadOfWhatGoesThrough() {
    long[] now = {0};
    GatewayPacing pacing = acceptedThen429(now, 20, 40_000_000L);
    String gw = GW; // ceiling 20, pace 15
    saturate(pacing, gw, now, 4); // back at 19
    // two minutes of 18.5 calls/s, in pairs (the second of each pair waits for its slot): the pace
    // is held at about what goes through, not a quarter above it
    long pair = (long) (2e9 / 18.5);
    for (int i = 0; i < 120 * 18.5 / 2; i++) {
      long t = now[0];
      for (int k = 0; k < 2; k++) {
        now[0] = t + pacing.reserve(gw, Long.MAX_VALUE);
        pacing.accepted(gw);
      }
      now[0] = Math.max(now[0], t + pair);
    }
    assertThat(pacing.rate(gw)).isLessThan(18.5 / 0.9);
  }

  @Test
  void turnsBookedBeforeADropAreBookedAgainAtTheNewPaceRightAfterThePause() {
    long[] now = {0};
    GatewayPacing pacing = acceptedThen429(now, 20, 40_000_000L);
    String gw = GW; // ceiling 20, pace 15
    saturate(pacing, gw, now, 10);
    // forty rotations want a call at once: two seconds of turns booked at about 19 calls/s
    List<long[]> callers = new ArrayList<>(); // {turn, drops when booked}
    for (int i = 0; i < 40; i++) {
      callers.add(new long[] {now[0] + pacing.reserve(gw, Long.MAX_VALUE), pacing.drops(gw)});
    }
    throttle(pacing, gw, Duration.ofSeconds(1)); // a 429 now: a second's pause, pace about 14
    long pauseEnd = now[0] + 1_000_000_000L;
    double dropped = pacing.rate(gw);
    // each caller wakes at its turn, as LiteLlmClient's do: inside the pause or after a drop it
    // books again; otherwise it sends
    List<Long> sent = new ArrayList<>();
    while (!callers.isEmpty()) {
      long[] c = callers.stream().min((a, b) -> Long.compare(a[0], b[0])).orElseThrow();
      now[0] = c[0];
      if (pacing.pausedFor(gw) > 0 || pacing.drops(gw) != c[1]) {
        c[1] = pacing.drops(gw);
        c[0] = now[0] + pacing.reserve(gw, Long.MAX_VALUE);
      } else {
        callers.remove(c);
        sent.add(now[0]);
        pacing.accepted(gw);
      }
    }
    // the first second after the pause carries the new pace, not the old turns' spacing, and the
    // queue starts again right after the pause (not after the old turns)
    long inFirstSecond = sent.stream().filter(t -> t < pauseEnd + 1_000_000_000L).count();
    assertThat(inFirstSecond).isLessThanOrEqualTo((long) Math.ceil(dropped));
    assertThat(sent.get(0)).isBetween(pauseEnd, pauseEnd + (long) (1e9 / dropped));
  }

  static final String GW = "http://gw";

  /**
   * Pacing on the fake clock {@code now} at gateway {@link #GW}: {@code calls} accepted {@code
   * spacing} ns apart, then a 429 with retry-after 1 s (the ceiling is {@code calls}).
   */
  private static GatewayPacing acceptedThen429(long[] now, int calls, long spacing) {
    GatewayPacing pacing = GatewayPacing.adaptive(Duration.ofSeconds(30), () -> now[0]);
    for (int i = 0; i < calls; i++) {
      now[0] += spacing;
      accept(pacing, GW);
    }
    throttle(pacing, GW, Duration.ofSeconds(1));
    return pacing;
  }

  /**
   * As {@link #acceptedThen429}, then a second later a 429 at the pace: the ceiling is that pace,
   * three quarters of {@code calls} (measured, not read from the accepted calls).
   */
  private static GatewayPacing pacedTo429(long[] now, int calls) {
    GatewayPacing pacing = acceptedThen429(now, calls, 1_000_000_000L / calls);
    now[0] += 1_500_000_000L;
    throttle(pacing, GW, Duration.ofSeconds(1));
    return pacing;
  }

  /** A call that was wanted at once (the pace or a pause holds it back), then accepted. */
  private static void accept(GatewayPacing p, String gw) {
    p.reserve(gw, Long.MAX_VALUE);
    p.accepted(gw);
  }

  /**
   * Calls wanted back to back for {@code seconds} of the fake clock: each is sent when its slot
   * comes and accepted (the proxy's limit is not reached).
   */
  private static void saturate(GatewayPacing p, String gw, long[] now, double seconds) {
    // without a pace nothing waits, and this loop would step the clock a nanosecond at a time
    assertThat(p.rate(gw)).isFinite();
    long end = now[0] + (long) (seconds * 1e9);
    while (now[0] < end) {
      now[0] += Math.max(1, p.reserve(gw, Long.MAX_VALUE));
      p.accepted(gw);
    }
  }

  /** {@code perSecond} calls a second for {@code seconds}, evenly spaced, each accepted. */
  private static void steadily(
      GatewayPacing p, String gw, long[] now, int perSecond, double seconds) {
    long gap = 1_000_000_000L / perSecond;
    for (int k = 0; k < perSecond * seconds; k++) {
      now[0] += gap;
      now[0] += p.reserve(gw, Long.MAX_VALUE);
      p.accepted(gw);
    }
  }

  private static void throttle(GatewayPacing p, String gw, Duration d) {
    p.throttled(gw, d, p.now());
  }
}
