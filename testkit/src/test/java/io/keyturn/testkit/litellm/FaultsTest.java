package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The random faults a chaos run draws: reproducible from their seed, at their rates, bounded. */
class FaultsTest {

  private static List<Faults.Injection> draw(Faults f, String route, int n) {
    List<Faults.Injection> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(f.take(route, true, i));
    }
    return out;
  }

  @Test
  void theSameSeedDrawsTheSameFaults() {
    Faults a = new Faults().randomly("/key/generate", 0.3, 0.05, 0.05, 7);
    Faults b = new Faults().randomly("/key/generate", 0.3, 0.05, 0.05, 7);
    Faults c = new Faults().randomly("/key/generate", 0.3, 0.05, 0.05, 8);
    List<Faults.Injection> first = draw(a, "/key/generate", 200);
    assertThat(draw(b, "/key/generate", 200)).isEqualTo(first);
    assertThat(draw(c, "/key/generate", 200)).isNotEqualTo(first);
  }

  @Test
  void faultsComeAtTheirRatesAndOnlyOnTheirRoute() {
    Faults f = new Faults().randomly("/key/generate", 0.3, 0.05, 0.05, 42);
    Map<Faults.Kind, Integer> counts = new EnumMap<>(Faults.Kind.class);
    int none = 0;
    for (Faults.Injection i : draw(f, "/key/generate", 20_000)) {
      if (i == null) {
        none++;
      } else {
        counts.merge(i.kind(), 1, Integer::sum);
      }
    }
    assertThat(counts.get(Faults.Kind.DROP_REPLY)).isBetween(5_600, 6_400);
    assertThat(counts.get(Faults.Kind.FAIL)).isBetween(800, 1_200);
    assertThat(counts.get(Faults.Kind.RATE_LIMIT)).isBetween(800, 1_200);
    assertThat(none).isBetween(11_600, 12_400);
    assertThat(draw(f, "/key/info", 1_000)).containsOnlyNulls();
  }

  @Test
  void aRandomFailureIs500AndARandomRateLimitSaysRetryAfterOneSecond() {
    assertThat(new Faults().randomly("*", 0, 1, 0, 1).take("/key/delete", true, 0))
        .isEqualTo(new Faults.Injection(Faults.Kind.FAIL, 500, 0));
    assertThat(new Faults().randomly("*", 0, 0, 1, 1).take("/v1/models", false, 0))
        .isEqualTo(new Faults.Injection(Faults.Kind.RATE_LIMIT, 429, 1));
  }

  @Test
  void queuedFaultsComeFirstAndClearOrZeroRatesStopRandomOnes() {
    Faults f = new Faults().randomly("/key/generate", 1, 0, 0, 3);
    f.failNext("/key/generate", 401, 1);
    assertThat(f.take("/key/generate", true, 0).kind()).isEqualTo(Faults.Kind.FAIL);
    assertThat(f.take("/key/generate", true, 0).kind()).isEqualTo(Faults.Kind.DROP_REPLY);
    f.randomly("/key/generate", 0, 0, 0, 3);
    assertThat(f.take("/key/generate", true, 0)).isNull();
    f.randomly("/key/generate", 1, 0, 0, 3).clear();
    assertThat(f.take("/key/generate", true, 0)).isNull();
  }

  @Test
  void ratesOutsideZeroToOneOrAddingUpToMoreThanOneAreRefused() {
    assertThatThrownBy(() -> new Faults().randomly("*", -0.1, 0, 0, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("between 0 and 1");
    assertThatThrownBy(() -> new Faults().randomly("*", 0.6, 0.3, 0.2, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("more than 1");
  }
}
