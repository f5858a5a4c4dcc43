package io.keyturn.workflows;

import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.RestartSpec;
import io.temporal.testing.WorkflowReplayer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Replays saved histories of the master-key rotation (rotated by webhook, rolled back, confirmed by
 * hand) against today's code. Re-record after a shape change, as {@link KeyRotationReplayTest}
 * says: {@code mvn -o -pl workflows test -Dtest=MasterKeyReplayTest
 * -Dkeyturn.recordHistories=true}.
 */
class MasterKeyReplayTest {
  private static final List<String> HISTORIES =
      List.of(
          "histories/master-key-rotated.json",
          "histories/master-key-rolled-back.json",
          "histories/master-key-manual.json");

  @Test
  void savedHistoriesReplayAgainstTheCurrentWorkflow() throws Exception {
    if (Boolean.getBoolean("keyturn.recordHistories")) {
      record(HISTORIES.get(0), false, false);
      record(HISTORIES.get(1), true, false);
      record(HISTORIES.get(2), false, true);
    }
    for (String h : HISTORIES) {
      WorkflowReplayer.replayWorkflowExecution(read(h), MasterKeyRotationWorkflowImpl.class);
    }
  }

  private void record(String file, boolean failVerify, boolean manual) throws Exception {
    MasterKeyRotationWorkflowTest t = new MasterKeyRotationWorkflowTest();
    try {
      if (failVerify) {
        t.proxy.verifyProblems = List.of("stored model db-1 no longer answers");
      }
      MasterKeyRequest req =
          MasterKeyRotationWorkflowTest.request(
              false,
              manual
                  ? RestartSpec.manual(java.time.Duration.ofMinutes(10))
                  : RestartSpec.webhook("http://restart.test/hook"));
      if (manual) {
        t.proxy.webhookRestarts = false;
        t.manualRestartWaitsForConfirmationPastItsDeadline();
      } else {
        try {
          t.start(req).rotate(req);
        } catch (RuntimeException expected) {
          // the rolled-back shape ends in a failure
        }
      }
      String json = t.env.getWorkflowClient().fetchHistory(req.workflowId()).toJson(true);
      Path p = Path.of("src/test/resources", file);
      Files.createDirectories(p.getParent());
      Files.writeString(p, json, StandardCharsets.UTF_8);
    } finally {
      t.close();
    }
  }

  private String read(String resource) throws java.io.IOException {
    return new String(
        Objects.requireNonNull(getClass().getClassLoader().getResourceAsStream(resource), resource)
            .readAllBytes(),
        StandardCharsets.UTF_8);
  }
}
