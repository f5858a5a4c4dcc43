package io.keyturn.starter.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationStatus;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class ProgressLineTest {
  static final Clock NOW = Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC);

  static RotationStatus status(RotationPhase phase, String message) {
    return new RotationStatus(
        "app",
        1,
        phase,
        "sk-...old1 #11111111",
        phase.ordinal() >= RotationPhase.MINTING.ordinal() ? "sk-...new2 #22222222" : null,
        "keyturn-app-g1",
        phase == RotationPhase.IN_GRACE ? "secret/litellm/app#key v3" : null,
        phase == RotationPhase.IN_GRACE ? "2025-01-01T01:30:05Z" : null,
        false,
        message);
  }

  @Test
  void offATerminalItPrintsOneLinePerPhase() {
    StringWriter w = new StringWriter();
    ProgressLine p = new ProgressLine(new PrintWriter(w), false, NOW, "rotation/app/1", 100);

    p.show(status(RotationPhase.MINTING, "minting keyturn-app-g1"));
    p.show(status(RotationPhase.MINTING, "minting keyturn-app-g1"));
    p.show(status(RotationPhase.IN_GRACE, "in grace"));
    p.show(status(RotationPhase.IN_GRACE, "in grace"));
    p.end();

    assertThat(w.toString()).doesNotContain("\r");
    assertThat(w.toString().lines())
        .containsExactly(
            "MINTING     minting keyturn-app-g1",
            "IN_GRACE    new key sk-...new2 #22222222 live in secret/litellm/app#key v3; old key"
                + " sk-...old1 #11111111 revoked at 2025-01-01T01:30:05Z (in 1h30m5s). End it"
                + " early: keyturn revoke-now rotation/app/1");
  }

  @Test
  void onATerminalItRewritesOneLineWithACountdown() {
    StringWriter w = new StringWriter();
    ProgressLine p = new ProgressLine(new PrintWriter(w), true, NOW, "rotation/app/1", 200);

    p.show(status(RotationPhase.MINTING, "minting keyturn-app-g1"));
    p.show(status(RotationPhase.IN_GRACE, "in grace"));
    p.end();

    String out = w.toString();
    assertThat(out).startsWith("\rMINTING     minting keyturn-app-g1");
    assertThat(out).contains("\rIN_GRACE    ").contains("revoked in 1h30m5s");
    assertThat(out).endsWith(System.lineSeparator());
    assertThat(out.chars().filter(c -> c == '\n').count()).as("one physical line").isEqualTo(1);
  }
}
