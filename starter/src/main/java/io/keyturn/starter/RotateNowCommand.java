package io.keyturn.starter;

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
import picocli.CommandLine.Parameters;

/** {@code keyturn rotate-now}: runs a secret's scheduled rotation now. */
@Command(
    name = "rotate-now",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Triggers the schedule of one secret now: the same rotation the schedule would start"
          + " (chained from the key its primary destination holds), with workflow id"
          + " rotation/<id>/scheduled-<time>. Works on a paused schedule too.",
      "",
      "Refused while a rotation of the secret is still running (for example in its grace"
          + " period): one secret is never rotated twice at once. End that one first with"
          + " `keyturn revoke-now WORKFLOW-ID`, or wait for it."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn rotate-now billing-api",
      "  keyturn rotate-now billing-api --json | jq -r .workflowId | xargs keyturn wait",
      "",
      "Exit codes: 0 started, 1 a rotation is already running, no such schedule or Temporal"
          + " failed, 2 bad usage."
    })
final class RotateNowCommand extends ScheduleCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The secret id (as in keyturn.yaml).")
  String secretId;

  @Override
  int run(WorkflowClient client) {
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
    h.trigger();
    // The schedule starts a launcher, which starts the rotation under its one id.
    String launched = awaitStarted(h, seen);
    String started = launched == null ? null : rotation;
    if (global.json) {
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
