package io.keyturn.starter.commands;

import io.keyturn.workflows.DriftCheckWorkflow;
import io.keyturn.workflows.model.SecretDrift;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionMetadata;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The newest drift check of each secret, as {@code keyturn list} shows it. */
final class DriftChecks {
  /** Completed drift checks read at most, newest first. */
  static final int RECENT = 20;

  private DriftChecks() {}

  /**
   * Each secret's answer in the newest completed drift check that checked it (by {@code keyturn
   * drift} or its schedule); empty when none can be read.
   */
  static Map<String, SecretDrift> latest(WorkflowClient client) {
    Map<String, SecretDrift> out = new HashMap<>();
    List<WorkflowExecutionMetadata> runs;
    try (Stream<WorkflowExecutionMetadata> s =
        client.listExecutions(
            "WorkflowType = '" + DriftCheckWorkflow.TYPE + "' AND ExecutionStatus = 'Completed'")) {
      runs =
          s.limit(1000)
              .filter(m -> m.getCloseTime() != null)
              .sorted(Comparator.comparing(WorkflowExecutionMetadata::getCloseTime).reversed())
              .limit(RECENT)
              .toList();
    } catch (RuntimeException e) {
      return out;
    }
    for (WorkflowExecutionMetadata m : runs) {
      try {
        SecretDrift[] answers =
            client
                .newUntypedWorkflowStub(
                    m.getExecution().getWorkflowId(),
                    Optional.of(m.getExecution().getRunId()),
                    Optional.empty())
                .getResult(5, TimeUnit.SECONDS, SecretDrift[].class);
        for (SecretDrift d : answers) {
          out.putIfAbsent(d.secretId(), d);
        }
      } catch (Exception e) {
        // One unreadable answer (another payload key, past retention) hides only itself.
      }
    }
    return out;
  }

  /** The line {@code keyturn list} shows. */
  static String line(SecretDrift d) {
    if (d == null) {
      return "not checked yet (keyturn drift -f <file>)";
    }
    String head =
        d.drifted()
            ? "DRIFT: " + String.join("; ", d.findings())
            : SecretDrift.OK.equals(d.state())
                ? "none"
                : "unknown: " + String.join("; ", d.findings());
    return head + " (checked " + d.checkedAt() + ")";
  }

  static Map<String, Object> json(SecretDrift d) {
    if (d == null) {
      return null;
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("state", d.state());
    m.put("findings", d.findings());
    m.put("checkedAt", d.checkedAt());
    return m;
  }
}
