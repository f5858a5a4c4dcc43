package io.keyturn.workflows;

import io.keyturn.workflows.model.ProviderKeyRequest;
import io.temporal.testing.WorkflowReplayer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import org.junit.jupiter.api.Test;

/**
 * Replays saved histories of the provider-key rotation (openai rotated, manual handed its key,
 * rolled back) and of the launcher a schedule starts against today's code. Re-record after a shape
 * change, as {@link KeyRotationReplayTest} says: {@code mvn -o -pl workflows test
 * -Dtest=ProviderKeyReplayTest -Dkeyturn.recordHistories=true}.
 */
class ProviderKeyReplayTest {
  static final String ROTATED = "histories/provider-key-rotated.json";
  static final String MANUAL = "histories/provider-key-manual.json";
  static final String ROLLED_BACK = "histories/provider-key-rolled-back.json";
  static final String LAUNCHER = "histories/provider-key-launcher.json";

  @Test
  void savedHistoriesReplayAgainstTheCurrentWorkflows() throws Exception {
    if (Boolean.getBoolean("keyturn.recordHistories")) {
      recordRotations();
    }
    for (String h : new String[] {ROTATED, MANUAL, ROLLED_BACK}) {
      WorkflowReplayer.replayWorkflowExecution(read(h), ProviderKeyRotationWorkflowImpl.class);
    }
    WorkflowReplayer.replayWorkflowExecution(read(LAUNCHER), ProviderKeyLauncherWorkflowImpl.class);
  }

  private void recordRotations() throws Exception {
    ProviderKeyRotationWorkflowTest t = new ProviderKeyRotationWorkflowTest();
    try {
      t.openaiRotationAddsVerifiesRemovesOldThenRevokesOldKey();
      save(
          t,
          ProviderKeyRotationWorkflowTest.request("openai", Duration.ZERO).workflowId(),
          ROTATED);
    } finally {
      t.close();
    }
    t = new ProviderKeyRotationWorkflowTest();
    try {
      t.aScheduledManualRotationRunsUnderTheGroupsIdWaitsForItsKeyAndASecondLaunchIsRefused();
      ProviderKeyRequest req = ProviderKeyRotationWorkflowTest.request("manual", Duration.ZERO);
      save(t, req.workflowId(), MANUAL);
      save(t, "launch/" + req.workflowId() + "/scheduled-1", LAUNCHER);
    } finally {
      t.close();
    }
    t = new ProviderKeyRotationWorkflowTest();
    try {
      t.aNewDeploymentThatDoesNotAnswerIsRolledBackAndTheOldOneServes();
      save(
          t,
          ProviderKeyRotationWorkflowTest.request("openai", Duration.ZERO).workflowId(),
          ROLLED_BACK);
    } finally {
      t.close();
    }
  }

  private static void save(ProviderKeyRotationWorkflowTest t, String workflowId, String file)
      throws Exception {
    String json = t.env.getWorkflowClient().fetchHistory(workflowId).toJson(true);
    Path p = Path.of("src/test/resources", file);
    Files.createDirectories(p.getParent());
    Files.writeString(p, json, StandardCharsets.UTF_8);
  }

  private String read(String resource) throws java.io.IOException {
    return new String(
        Objects.requireNonNull(getClass().getClassLoader().getResourceAsStream(resource), resource)
            .readAllBytes(),
        StandardCharsets.UTF_8);
  }
}
