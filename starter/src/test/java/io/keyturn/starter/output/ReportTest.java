package io.keyturn.starter.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.RotationResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The text a user reads at the end of {@code keyturn wait} and in {@code status}. */
class ReportTest {
  static final KeyRef OLD = new KeyRef("a".repeat(64), "sk-...old1");
  static final KeyRef NEW = new KeyRef("b".repeat(64), "sk-...new1");

  static String outcome(RotationResult r) {
    StringWriter w = new StringWriter();
    PrintWriter out = new PrintWriter(w);
    Report.printOutcome(
        out,
        new RotationView(
            "rotation/billing",
            "run-1",
            RotationView.COMPLETED,
            Instant.EPOCH,
            Instant.EPOCH,
            null,
            null,
            r,
            null,
            null),
        "http://ui.test");
    out.flush();
    return w.toString();
  }

  @Test
  void theOutcomeNamesEveryDestinationAndNoVersionWhereAStoreHasNone() {
    PublishReceipt vault = new PublishReceipt("vault secret/litellm/billing", 3, 2, true);
    PublishReceipt file = new PublishReceipt("file /etc/app/billing.key", -1, -1, true);
    RotationResult r =
        new RotationResult(
            "billing",
            7,
            OLD,
            NEW,
            "billing-g7",
            new RevokeReceipt(OLD, false, null),
            false,
            List.of(vault, file));
    String text = outcome(r);
    assertThat(text)
        .contains("published    vault secret/litellm/billing v3 (replaced v2)")
        .contains("file /etc/app/billing.key")
        .doesNotContain("v-1");
    assertThat(Report.resultJson(r).get("destinations").toString())
        .contains("file /etc/app/billing.key");
  }
}
