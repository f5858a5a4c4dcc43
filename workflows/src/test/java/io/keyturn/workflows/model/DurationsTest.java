package io.keyturn.workflows.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The one duration grammar: the CLI's flags and keyturn.yaml read the same text alike. */
class DurationsTest {

  @Test
  void shortFormsCombinationsAndIso8601() {
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse(" 2W ")).isEqualTo(Duration.ofDays(14));
    assertThat(Durations.parse("PT36H")).isEqualTo(Duration.ofHours(36));
    assertThat(Durations.parse("p7d")).isEqualTo(Duration.ofDays(7));
    assertThat(Durations.parse("-PT5M")).isNegative();
  }

  @Test
  void anAbsurdlyLongDurationIsLongerThanEveryBoundNotAnOverflow() {
    assertThat(Durations.parse("99999999999999999999w")).isGreaterThan(RotationRequest.MAX_GRACE);
    assertThat(Durations.parse("9999999999999999w")).isGreaterThan(RotationRequest.MAX_GRACE);
  }

  @Test
  void anythingElseNamesTheAcceptedForms() {
    assertThatThrownBy(() -> Durations.parse("3 days"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'3 days' is not a duration")
        .hasMessageContaining("1h30m");
  }

  @Test
  void formatReadsBack() {
    Duration d = Duration.parse("PT25H1M2S");
    assertThat(Durations.format(d)).isEqualTo("1d1h1m2s");
    assertThat(Durations.parse(Durations.format(d))).isEqualTo(d);
  }
}
