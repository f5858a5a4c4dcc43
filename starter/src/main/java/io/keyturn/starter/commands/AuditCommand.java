package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.SecretTargets;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.WorkflowStub;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleHandle;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.SchedulePolicy;
import io.temporal.client.schedules.ScheduleSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What {@code orphans} and {@code drift} share: the file whose secrets they judge, a question put
 * to the worker as a short workflow on the rotation task queue (only the worker reads stores and
 * holds the management key), and {@code --schedule}/{@code --unschedule}, which keep a Temporal
 * Schedule asking the same question.
 */
abstract class AuditCommand extends ScheduleCommand {
  /** How long to wait for the worker's answer. */
  static final Duration ANSWER_WITHIN = Duration.ofMinutes(5);

  @Mixin ConfigFileOption config;

  static final class ScheduleChoice {
    @Option(
        names = "--schedule",
        paramLabel = "EVERY",
        description =
            "Instead of asking now, create (or update) a Temporal Schedule that asks every EVERY ("
                + Durations.FORMS
                + ") with the file's secrets as they are now; run it again after the file"
                + " changes.")
    String every;

    @Option(names = "--unschedule", description = "Delete that schedule.")
    boolean unschedule;
  }

  @ArgGroup(exclusive = true)
  ScheduleChoice scheduling;

  List<SecretSpec> specs;

  /** The schedule's id. */
  abstract String scheduleId();

  /** The workflow type the schedule starts. */
  abstract Class<?> workflowType();

  /** The workflow's argument for {@code targets}. */
  abstract Object scheduledArgument(List<SecretTargets> targets);

  /** The prefix of the workflow ids this command starts. */
  abstract String workflowIdPrefix();

  @Override
  protected void prepare() {
    specs = ConfigFiles.load(config.file, global.json(), cli.out());
    if (scheduling != null && scheduling.every != null) {
      every();
    }
  }

  Duration every() {
    try {
      Duration d = Durations.parse(scheduling.every);
      if (d.compareTo(Duration.ofMinutes(1)) < 0) {
        throw new IllegalArgumentException("at least 1m");
      }
      return d;
    } catch (IllegalArgumentException e) {
      throw usage(
          "--schedule '"
              + scheduling.every
              + "' is not an interval of 1m or more ("
              + e.getMessage()
              + "); write it as "
              + Durations.FORMS);
    }
  }

  /** What the worker needs to know about each of {@code specs}. */
  static List<SecretTargets> targets(List<SecretSpec> specs) {
    List<SecretTargets> out = new ArrayList<>();
    for (SecretSpec s : specs) {
      out.add(
          new SecretTargets(
              s.id(),
              s.gatewayUrl(),
              s.destinations().stream().map(SecretSpec.Destination::toDestination).toList(),
              s.policy().fields().isEmpty() ? null : new KeyPolicy(s.policy().fields())));
    }
    return out;
  }

  /**
   * Handles {@code --schedule}/{@code --unschedule} when given; returns false when neither was, so
   * the command asks now.
   */
  boolean scheduled(WorkflowClient client) {
    if (scheduling == null) {
      return false;
    }
    ScheduleClient schedules = schedules(client);
    ScheduleHandle h = schedules.getHandle(scheduleId());
    boolean exists = io.keyturn.starter.schedules.SchedulePlan.describe(h).isPresent();
    if (scheduling.unschedule) {
      if (exists) {
        h.delete();
        cli.out().println("Deleted schedule " + scheduleId() + ".");
      } else {
        cli.out().println("No schedule " + scheduleId() + ": nothing to delete.");
      }
      return true;
    }
    Duration every = every();
    Schedule schedule =
        Schedule.newBuilder()
            .setAction(
                ScheduleActionStartWorkflow.newBuilder()
                    .setWorkflowType(workflowType())
                    .setOptions(
                        WorkflowOptions.newBuilder()
                            .setWorkflowId(workflowIdPrefix() + "scheduled")
                            .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                            .setWorkflowExecutionTimeout(ANSWER_WITHIN.multipliedBy(2))
                            .build())
                    .setArguments(scheduledArgument(targets(specs)))
                    .build())
            .setSpec(
                ScheduleSpec.newBuilder()
                    .setIntervals(List.of(new ScheduleIntervalSpec(every)))
                    .build())
            .setPolicy(
                SchedulePolicy.newBuilder()
                    .setOverlap(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP)
                    .build())
            .build();
    if (exists) {
      h.update(in -> new io.temporal.client.schedules.ScheduleUpdate(schedule));
    } else {
      schedules.createSchedule(scheduleId(), schedule, ScheduleOptions.newBuilder().build());
    }
    cli.out()
        .println(
            (exists ? "Updated" : "Created")
                + " schedule "
                + scheduleId()
                + ": every "
                + Durations.format(every)
                + " for the "
                + specs.size()
                + " secret(s) of "
                + config.file
                + ". Run this again after the file changes; --unschedule deletes it.");
    return true;
  }

  /** Starts {@code workflowType} with {@code arg} on the worker and waits for its answer. */
  <R> R ask(WorkflowClient client, String what, Class<R> resultType, Object arg) {
    WorkflowStub stub =
        client.newUntypedWorkflowStub(
            workflowName(),
            WorkflowOptions.newBuilder()
                .setWorkflowId(workflowIdPrefix() + UUID.randomUUID())
                .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
                .setWorkflowExecutionTimeout(ANSWER_WITHIN.plus(Duration.ofSeconds(30)))
                .build());
    stub.start(arg);
    try {
      return stub.getResult(ANSWER_WITHIN.toMillis(), TimeUnit.MILLISECONDS, resultType);
    } catch (TimeoutException e) {
      try {
        stub.terminate("no answer within " + ANSWER_WITHIN.toSeconds() + " s");
      } catch (RuntimeException ignored) {
        // It times out by itself.
      }
      throw CliFailure.failed(
          "the worker did not finish "
              + what
              + " within "
              + ANSWER_WITHIN.toMinutes()
              + " minutes (task queue "
              + KeyRotationWorkflow.TASK_QUEUE
              + "; is a worker running, and are its stores and gateways answering?)");
    } catch (io.temporal.client.WorkflowFailedException e) {
      throw CliFailure.failed(
          "the worker could not finish "
              + what
              + ": "
              + io.keyturn.workflows.RotationMessages.rootMessage(e));
    }
  }

  /** The workflow type name {@link #ask} starts. */
  abstract String workflowName();

  @Override
  protected String workflowId() {
    return null;
  }
}
