package io.keyturn.starter.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The progress line's width: COLUMNS, else the terminal's answer, else 100. */
class TerminalWidthTest {
  @Test
  void anExportedColumnsWinsAndTheTerminalIsNotAsked() {
    assertThat(
            TerminalWidth.of(
                Map.of("COLUMNS", "132"),
                true,
                () -> {
                  throw new AssertionError("asked the terminal");
                }))
        .isEqualTo(132);
  }

  @Test
  void withoutColumnsATerminalIsAskedForItsSize() {
    assertThat(TerminalWidth.of(Map.of(), true, () -> "50 180\n")).isEqualTo(180);
    assertThat(TerminalWidth.of(Map.of("COLUMNS", "junk"), true, () -> "24 80")).isEqualTo(80);
  }

  @Test
  void anythingElseFallsBackTo100() {
    assertThat(TerminalWidth.of(Map.of(), true, () -> null)).isEqualTo(100);
    assertThat(TerminalWidth.of(Map.of(), true, () -> "stty: not a tty")).isEqualTo(100);
    assertThat(TerminalWidth.of(Map.of(), true, () -> "0 0")).isEqualTo(100);
    assertThat(
            TerminalWidth.of(
                Map.of(),
                false,
                () -> {
                  throw new AssertionError("asked a terminal that is not there");
                }))
        .isEqualTo(100);
  }

  @Test
  void sttySizeIsParsedAsRowsThenColumns() {
    assertThat(TerminalWidth.fromSttySize("40 211")).isEqualTo(211);
    assertThat(TerminalWidth.fromSttySize("211")).isEqualTo(-1);
    assertThat(TerminalWidth.fromSttySize("")).isEqualTo(-1);
    // Here no terminal answers: null or a size, never a hang or an exception.
    String probed = TerminalWidth.sttySize();
    assertThat(probed == null || TerminalWidth.fromSttySize(probed) > 0).isTrue();
  }
}
