package io.keyturn.worker.config;

import io.keyturn.workflows.client.TemporalConnection;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the worker polls and how long a rotation retries a step ({@code keyturn.worker.*}:
 * KEYTURN_TASK_QUEUE, KEYTURN_STEP_DEADLINE; defaults in application.yml). Where Temporal is comes
 * from Temporal's own client configuration, read by {@link #temporal()}.
 *
 * @param taskQueue the task queue the rotation workflows and activities run on
 * @param stepDeadline how long a rotation retries a step that shapes the new key (mint, verify,
 *     publish...) before it rolls back
 */
@ConfigurationProperties("keyturn.worker")
public record WorkerSettings(@Nullable String taskQueue, @Nullable Duration stepDeadline) {
  static final Duration MIN_STEP_DEADLINE = Duration.ofSeconds(10);
  static final Duration MAX_STEP_DEADLINE = Duration.ofDays(1);

  /** Every problem with these settings, each naming the variable to set. Empty when all is well. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (stepDeadline == null
        || stepDeadline.compareTo(MIN_STEP_DEADLINE) < 0
        || stepDeadline.compareTo(MAX_STEP_DEADLINE) > 0) {
      problems.add(
          "KEYTURN_STEP_DEADLINE is "
              + stepDeadline
              + ": give between 10s and 24h (default 15m), how long a rotation retries a step"
              + " before it rolls back");
    }
    try {
      temporal();
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    return problems;
  }

  /**
   * Where Temporal is: Temporal's own client configuration (the TEMPORAL_* variables and the
   * temporal.toml profile they name), read from the environment as the CLI reads it.
   */
  public TemporalConnection temporal() {
    return TemporalConnection.fromEnvironment(System.getenv());
  }
}
