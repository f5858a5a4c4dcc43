package io.keyturn.starter.commands;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.workflows.model.Durations;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

class GracePeriodsTest {

  @ParameterizedTest
  @CsvSource({
    "30s, PT30S",
    "10m, PT10M",
    "24h, PT24H",
    "7d, PT168H",
    "2w, PT336H",
    "1h30m, PT1H30M",
    "0s, PT0S",
    "PT36H, PT36H",
    "pt5m, PT5M",
    "P7D, PT168H",
    "90d, PT2160H"
  })
  void readsShortFormsAndIso8601(String text, String iso) {
    assertThat(GracePeriods.parse(text)).isEqualTo(Duration.parse(iso));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "24", "h", "3 days", "10x", "1.5h", "-5m", "PT-5M", "P1Y", "91d"})
  void refusesEverythingElseSayingWhatIsAccepted(String text) {
    assertThatThrownBy(() -> GracePeriods.parse(text))
        .isInstanceOf(TypeConversionException.class)
        .hasMessageContaining("'" + text + "'");
  }

  @Test
  void formatsLargestUnitsFirst() {
    assertThat(Durations.format(Duration.ofHours(24))).isEqualTo("1d");
    assertThat(Durations.format(Duration.parse("PT25H1M2S"))).isEqualTo("1d1h1m2s");
    assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("0s");
    assertThat(Durations.format(Duration.ofSeconds(-3))).isEqualTo("0s");
  }
}
