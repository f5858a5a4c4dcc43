package io.keyturn.worker.observe;

import io.temporal.client.WorkflowClient;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleListDescription;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gauges no single worker can know by itself, read from Temporal: how many rotations are in
 * their grace period (a visibility count over the {@code KeyturnPhase} search attribute) and when
 * each secret's schedule ({@code keyturn/<secret-id>}) next starts a rotation. Run periodically; a
 * failed read leaves the last values and logs at DEBUG, so a flaky frontend does not spam the log.
 */
public final class VisibilityGauges implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(VisibilityGauges.class);

  /** Running rotations in their grace period. */
  public static final String IN_GRACE_QUERY =
      "KeyturnPhase = 'IN_GRACE' AND ExecutionStatus = 'Running'";

  /** Running provider-key rotations waiting for {@code keyturn provide}. */
  public static final String AWAITING_KEY_QUERY =
      "KeyturnPhase = 'AWAITING_KEY' AND ExecutionStatus = 'Running'";

  static final String SCHEDULE_PREFIX = "keyturn/";

  private final WorkflowClient client;
  private final ScheduleClient schedules;
  private final RotationMetrics metrics;

  public VisibilityGauges(
      WorkflowClient client, ScheduleClient schedules, RotationMetrics metrics) {
    this.client = client;
    this.schedules = schedules;
    this.metrics = metrics;
  }

  @Override
  public void run() {
    try {
      metrics.keysInGrace(client.countWorkflows(IN_GRACE_QUERY).getCount());
    } catch (RuntimeException e) {
      log.debug("cannot count rotations in grace: {}", e.toString());
    }
    try {
      metrics.providerKeysAwaited(client.countWorkflows(AWAITING_KEY_QUERY).getCount());
    } catch (RuntimeException e) {
      log.debug("cannot count rotations awaiting a provider key: {}", e.toString());
    }
    if (schedules == null) {
      return;
    }
    try {
      List<ScheduleListDescription> all = schedules.listSchedules().collect(Collectors.toList());
      for (ScheduleListDescription s : all) {
        if (!s.getScheduleId().startsWith(SCHEDULE_PREFIX) || s.getInfo() == null) {
          continue;
        }
        List<Instant> next = s.getInfo().getNextActionTimes();
        if (next != null && !next.isEmpty()) {
          metrics.nextRotation(
              s.getScheduleId().substring(SCHEDULE_PREFIX.length()), next.get(0).getEpochSecond());
        }
      }
    } catch (RuntimeException e) {
      log.debug("cannot list schedules: {}", e.toString());
    }
  }
}
