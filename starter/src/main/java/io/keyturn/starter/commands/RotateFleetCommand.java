package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.output.ProgressLine;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.schedules.FleetSelector;
import io.keyturn.workflows.FleetRotationWorkflow;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.FleetProgress;
import io.keyturn.workflows.model.FleetRequest;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionAlreadyStarted;
import io.temporal.client.WorkflowOptions;
import io.temporal.client.schedules.ScheduleActionExecution;
import io.temporal.client.schedules.ScheduleActionExecutionStartWorkflow;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleDescription;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn rotate-fleet}: rotates every managed secret a selector matches, in waves. */
@Command(
    name = "rotate-fleet",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Rotates every managed secret (schedule keyturn/<id>) the selector matches, each exactly as"
          + " its schedule would (the schedule's own rotation request), as child rotations"
          + " rotation/<id>/fleet-<fleet-id> of one workflow fleet/<fleet-id>: a canary wave"
          + " first, then waves of --concurrency, at most that many rotations at a time. A"
          + " rotation holds its place until it has published its new key everywhere (or failed):"
          + " the fleet does not wait out grace periods, and each rotation revokes its old key when"
          + " its own grace ends. The next wave takes the places freed as soon as the wave before"
          + " can no longer go above --max-failure-ratio (with 0: once all of it has published)."
          + " Once a wave's failed/rotated ratio is above it nothing more starts, and the fleet"
          + " stops when the rotations in flight have published or failed.",
      "",
      "Resume a stopped fleet by running the same command with its --fleet-id: members already"
          + " rotated are skipped, failed and pending ones rotated. Secrets whose scheduled"
          + " rotation is running are left out (one secret never rotates twice at once).",
      "",
      "Selectors: all; id-prefix=P; team=T (the written policy's team_id); tag=T (the written"
          + " policy's tags or metadata.tags). Secrets whose policy is imported at rotation time"
          + " match only all and id-prefix."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn rotate-fleet --selector team=payments --concurrency 5 --canary 1 --wait",
      "  keyturn rotate-fleet --selector id-prefix=billing- --fleet-id 2025-q1 --json",
      "  keyturn fleet-status 2025-q1",
      "",
      "Exit codes: 0 started (with --wait: completed, none failed), 1 nothing matched, a fleet of"
          + " that id is running, or Temporal failed, 2 bad usage."
    })
public final class RotateFleetCommand extends ScheduleCommand {

  private static final Pattern FLEET_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");
  private static final DateTimeFormatter DEFAULT_ID =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

  @Option(
      names = "--selector",
      paramLabel = "SELECTOR",
      description = "all (default), id-prefix=P, team=T or tag=T.")
  String selectorText = "all";

  @Option(
      names = "--concurrency",
      paramLabel = "N",
      description = "Rotations in flight at once, and the size of a wave (default 5).")
  int concurrency = 5;

  @Option(
      names = "--canary",
      paramLabel = "N",
      description = "Secrets in the first wave, rotated before any other (default 1; 0: none).")
  int canary = 1;

  @Option(
      names = "--max-failure-ratio",
      paramLabel = "R",
      description = "Stop once a wave's failed/rotated is above R, 0 to 1 (default 0: any).")
  double maxFailureRatio = 0.0;

  @Option(
      names = "--fleet-id",
      paramLabel = "ID",
      description = "The fleet's id (default: the UTC start time); the same id resumes a fleet.")
  String fleetId;

  @Option(names = "--wait", description = "Follow the fleet until it ends.")
  boolean await;

  FleetSelector selector;

  @Override
  protected void prepare() {
    try {
      selector = FleetSelector.parse(selectorText);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    if (fleetId == null) {
      fleetId = DEFAULT_ID.format(cli.clock().instant());
    }
    if (!FLEET_ID.matcher(fleetId).matches()) {
      throw usage("--fleet-id '" + fleetId + "': use 1-63 letters, digits, '.', '_' or '-'");
    }
    if (concurrency < 1 || concurrency > FleetRequest.MAX_CONCURRENCY || canary < 0) {
      throw usage(
          "--concurrency must be 1-" + FleetRequest.MAX_CONCURRENCY + " and --canary 0 or more");
    }
    if (!(maxFailureRatio >= 0 && maxFailureRatio <= 1)) {
      throw usage("--max-failure-ratio must be between 0 and 1, got " + maxFailureRatio);
    }
  }

  @Override
  protected String workflowId() {
    return fleetId == null ? null : FleetRotationWorkflow.workflowId(fleetId);
  }

  @Override
  protected int run(WorkflowClient client) {
    List<RotationRequest> members = new ArrayList<>();
    Map<String, String> leftOut = new TreeMap<>();
    managedSchedules(client)
        .forEach(
            (secretId, d) -> {
              RotationRequest r = request(d);
              if (r == null || !selector.matches(r)) {
                return;
              }
              String running = runningRotation(d);
              if (running != null) {
                leftOut.put(secretId, "its rotation " + running + " is running");
              } else {
                members.add(r);
              }
            });
    if (members.isEmpty()) {
      throw CliFailure.failed(
          "no managed secret to rotate matches '"
              + selector
              + "' in namespace '"
              + connection.namespace()
              + "'"
              + (leftOut.isEmpty() ? "" : " (left out: " + leftOut + ")")
              + ": `keyturn list` shows the secrets");
    }
    String wfId = workflowId();
    FleetRequest request =
        new FleetRequest(members, concurrency, canary, maxFailureRatio, cli.user());
    WorkflowOptions options =
        WorkflowOptions.newBuilder()
            .setWorkflowId(wfId)
            .setTaskQueue(KeyRotationWorkflow.TASK_QUEUE)
            .setStaticSummary(
                "Fleet rotation of "
                    + members.size()
                    + " secret(s) matching "
                    + selector
                    + ": canary "
                    + canary
                    + ", concurrency "
                    + concurrency
                    + ", stop above "
                    + maxFailureRatio
                    + " failed")
            .setStaticDetails("Started by " + cli.user())
            .build();
    checkWorkerKeys(client);
    FleetRotationWorkflow wf = client.newWorkflowStub(FleetRotationWorkflow.class, options);
    try {
      WorkflowClient.start(wf::rotateFleet, request);
    } catch (WorkflowExecutionAlreadyStarted e) {
      throw CliFailure.failed(
          "fleet "
              + wfId
              + " is already running: follow it with `keyturn fleet-status "
              + fleetId
              + "`, or choose another --fleet-id");
    }
    List<String> ids = members.stream().map(RotationRequest::secretId).toList();
    if (await) {
      FleetProgress p = follow(client, wfId);
      if (global.json()) {
        Map<String, Object> o =
            p == null ? new LinkedHashMap<>() : FleetCommands.json(p, uiLink(wfId));
        o.put("leftOut", leftOut);
        Report.printJson(cli.out(), o);
      } else if (p != null) {
        FleetCommands.print(cli.out(), p, uiLink(wfId));
      }
      return FleetCommands.exitCode(p);
    }
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("workflowId", wfId);
      o.put("fleetId", fleetId);
      o.put("selector", selector.toString());
      o.put("members", ids);
      o.put("leftOut", leftOut);
      o.put("ui", uiLink(wfId));
      Report.printJson(cli.out(), o);
    } else {
      cli.out().println("Started fleet " + wfId + ": " + ids.size() + " secret(s)");
      Report.row(cli.out(), "members", String.join(", ", ids));
      leftOut.forEach((id, why) -> Report.row(cli.out(), "left out", id + ": " + why));
      Report.row(cli.out(), "ui", uiLink(wfId));
      cli.out().println("Follow it: keyturn fleet-status " + fleetId + " --wait");
    }
    return 0;
  }

  /** Polls the progress query until the fleet closes, showing one line on stderr. */
  private FleetProgress follow(WorkflowClient client, String wfId) {
    ProgressLine line = progress(wfId);
    FleetProgress p = null;
    while (true) {
      boolean closed = FleetCommands.closed(client, wfId);
      FleetProgress now = FleetCommands.progress(client, wfId, cli.timing());
      if (now != null) {
        p = now;
        if (line != null) {
          line.note(FleetCommands.line(now));
        }
      } else if (line != null) {
        line.note("waiting: no keyturn worker answers the progress query yet");
      }
      if (closed) {
        break;
      }
      try {
        Thread.sleep(cli.timing().pollEvery().toMillis());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    if (line != null) {
      line.end();
    }
    return p;
  }

  /** The rotation request the schedule starts, or null when its action is not one. */
  static RotationRequest request(ScheduleDescription d) {
    if (d.getSchedule().getAction() instanceof ScheduleActionStartWorkflow a) {
      try {
        return a.getArguments().get(0, RotationRequest.class);
      } catch (RuntimeException e) {
        return null;
      }
    }
    return null;
  }

  private static String runningRotation(ScheduleDescription d) {
    for (ScheduleActionExecution e : d.getInfo().getRunningActions()) {
      if (e instanceof ScheduleActionExecutionStartWorkflow w) {
        return w.getWorkflowId();
      }
    }
    return null;
  }
}
