package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.schedules.ScheduledRotations;
import io.keyturn.workflows.model.Durations;
import io.temporal.client.WorkflowClient;
import io.temporal.client.schedules.ScheduleActionExecution;
import io.temporal.client.schedules.ScheduleActionExecutionStartWorkflow;
import io.temporal.client.schedules.ScheduleActionResult;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleHandle;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn rotate-now}: runs a secret's scheduled rotation now. */
@Command(
    name = "rotate-now",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Triggers the schedule of one secret now: the same rotation the schedule would start"
          + " (chained from the key its primary destination holds): the schedule starts a"
          + " launcher, launch/<id>/scheduled-<time>, which starts the rotation rotation/<id>."
          + " Works on a paused schedule too. With --wait, follows that rotation as"
          + " `keyturn wait` does.",
      "",
      "Refused while a rotation of the secret is still running (for example in its grace"
          + " period): one secret is never rotated twice at once. End that one first with"
          + " `keyturn revoke-now WORKFLOW-ID`, or wait for it."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn rotate-now billing-api",
      "  keyturn rotate-now billing-api --wait",
      "  keyturn rotate-now billing-api --json | jq -r .workflowId | xargs keyturn wait",
      "",
      "Exit codes: 0 started (with --wait: completed), 1 a rotation is already running, it"
          + " failed (with --wait), no such schedule or Temporal failed, 2 bad usage."
    })
public final class RotateNowCommand extends OneSecretCommand {
  @Option(names = "--wait", description = WAIT_HELP)
  boolean await;

  /** How long the launcher may take to start the rotation before --wait gives up on it. */
  static final java.time.Duration LAUNCH_TIMEOUT = java.time.Duration.ofSeconds(60);

  @Override
  protected int run(WorkflowClient client) {
    ScheduleHandle h = schedules(client).getHandle(ScheduledRotations.scheduleId(secretId));
    ScheduleDescription before = existing(h, secretId);
    String rotation = ScheduledRotations.rotationId(secretId);
    String launcher = null;
    for (ScheduleActionExecution e : before.getInfo().getRunningActions()) {
      if (e instanceof ScheduleActionExecutionStartWorkflow w) {
        launcher = w.getWorkflowId();
      }
    }
    if (launcher != null || running(client, rotation)) {
      throw CliFailure.failed(
          "a rotation of '"
              + secretId
              + "' is still running: "
              + rotation
              + (launcher == null ? "" : " (started by " + launcher + ")")
              + ". One secret is never rotated twice at once: wait for it (keyturn wait "
              + rotation
              + ") or end its grace period (keyturn revoke-now "
              + rotation
              + " --reason TEXT)");
    }
    Set<String> seen = new HashSet<>();
    for (ScheduleActionResult r : before.getInfo().getRecentActions()) {
      if (r.getAction() instanceof ScheduleActionExecutionStartWorkflow w) {
        seen.add(w.getWorkflowId());
      }
    }
    String previousRun = await ? runId(client, rotation) : null;
    h.trigger();
    // The schedule starts a launcher, which starts the rotation under its one id.
    String launched = awaitStarted(h, seen);
    String started = launched == null ? null : rotation;
    if (await) {
      return follow(client, h, rotation, launched, previousRun);
    }
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("secretId", secretId);
      o.put("scheduleId", h.getId());
      o.put("triggered", true);
      o.put("workflowId", started);
      o.put("launcherWorkflowId", launched);
      o.put("ui", started == null ? null : uiLink(started));
      Report.printJson(cli.out(), o);
    } else if (started != null) {
      cli.out().println("Started rotation " + started);
      Report.row(cli.out(), "ui", uiLink(started));
      cli.out().println("Follow it: keyturn wait " + started);
    } else {
      cli.out()
          .println(
              "Triggered "
                  + h.getId()
                  + "; the rotation it started is not visible yet: see `keyturn history "
                  + secretId
                  + "`.");
    }
    return 0;
  }

  /**
   * --wait: waits for the launcher to start a new run of the rotation, then follows that run as
   * {@code keyturn wait} does.
   */
  private int follow(
      WorkflowClient client, ScheduleHandle h, String rotation, String launched, String previous) {
    if (launched == null) {
      throw CliFailure.failed(
          "triggered "
              + h.getId()
              + ", but the rotation it starts is not visible yet: see `keyturn history "
              + secretId
              + "`, then `keyturn wait "
              + rotation
              + "`");
    }
    if (!global.json()) {
      cli.out().println("Triggered " + h.getId() + ": launcher " + launched);
    }
    long deadline = System.nanoTime() + LAUNCH_TIMEOUT.toNanos();
    while (true) {
      String now = runId(client, rotation);
      if (now != null && !now.equals(previous)) {
        break;
      }
      String launcherEnd = closedStatus(client, launched);
      if (launcherEnd != null) {
        throw CliFailure.failed(
            "the launcher "
                + launched
                + " ended ("
                + launcherEnd
                + ") without starting a new "
                + rotation
                + ": see `keyturn history "
                + secretId
                + "` and the worker's log");
      }
      if (System.nanoTime() > deadline) {
        throw CliFailure.failed(
            "the launcher "
                + launched
                + " has not started "
                + rotation
                + " within "
                + Durations.format(LAUNCH_TIMEOUT)
                + ": is a Keyturn worker running? Follow it later with `keyturn wait "
                + rotation
                + "`");
      }
      sleep(cli.timing().pollEvery().toMillis());
    }
    if (!global.json()) {
      cli.out().println("Started rotation " + rotation);
      Report.row(cli.out(), "ui", uiLink(rotation));
    }
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("secretId", secretId);
    extra.put("scheduleId", h.getId());
    extra.put("launcherWorkflowId", launched);
    return awaitAndReport(client, rotation, extra);
  }

  /** The run id of the workflow's latest run, or null when it never ran. */
  private static String runId(WorkflowClient client, String workflowId) {
    try {
      return client.newUntypedWorkflowStub(workflowId).describe().getExecution().getRunId();
    } catch (io.temporal.client.WorkflowNotFoundException e) {
      return null;
    }
  }

  /** Temporal's status of a closed workflow, or null while it runs (or is not visible yet). */
  private static String closedStatus(WorkflowClient client, String workflowId) {
    try {
      var status = client.newUntypedWorkflowStub(workflowId).describe().getStatus();
      return status
              == io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING
          ? null
          : status.name().replace("WORKFLOW_EXECUTION_STATUS_", "");
    } catch (io.temporal.client.WorkflowNotFoundException e) {
      return null;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(Math.max(10, millis));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.failed("interrupted");
    }
  }

  /** Whether the secret's rotation is running now (whoever started it). */
  private static boolean running(WorkflowClient client, String rotationId) {
    try {
      return client.newUntypedWorkflowStub(rotationId).describe().getStatus()
          == io.temporal.api.enums.v1.WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
    } catch (io.temporal.client.WorkflowNotFoundException e) {
      return false;
    }
  }

  /** The workflow the trigger started, looked for for a few seconds; null if not seen. */
  private String awaitStarted(ScheduleHandle h, Set<String> seen) {
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (System.nanoTime() < deadline) {
      ScheduleDescription d = h.describe();
      List<ScheduleActionExecution> actions = new ArrayList<>(d.getInfo().getRunningActions());
      d.getInfo().getRecentActions().forEach(r -> actions.add(r.getAction()));
      for (ScheduleActionExecution e : actions) {
        if (e instanceof ScheduleActionExecutionStartWorkflow w
            && !seen.contains(w.getWorkflowId())) {
          return w.getWorkflowId();
        }
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
    return null;
  }
}
