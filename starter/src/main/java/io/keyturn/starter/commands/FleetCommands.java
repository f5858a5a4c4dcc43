package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.KeyturnCli;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.output.RotationWatcher;
import io.keyturn.workflows.FleetRotationWorkflow;
import io.keyturn.workflows.RotationMessages;
import io.keyturn.workflows.model.FleetProgress;
import io.keyturn.workflows.model.FleetProgress.Member;
import io.keyturn.workflows.model.FleetProgress.MemberState;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What rotate-fleet and fleet-status share: reading a fleet's progress and printing it. */
final class FleetCommands {
  private FleetCommands() {}

  /** "fleet/x" or "x" to the workflow id "fleet/x". */
  static String workflowId(String idOrWorkflowId) {
    return idOrWorkflowId.startsWith(FleetRotationWorkflow.ID_PREFIX)
        ? idOrWorkflowId
        : FleetRotationWorkflow.workflowId(idOrWorkflowId);
  }

  /**
   * The fleet's progress: its result when it closed, else the progress query (a worker answers);
   * null when neither is available. A closed fleet's members are brought up to date ({@link
   * #membersNow}): the fleet closes once every member has published, and its rotations go on.
   */
  static FleetProgress progress(WorkflowClient client, String workflowId, KeyturnCli.Timing t) {
    WorkflowStub stub = client.newUntypedWorkflowStub(workflowId);
    WorkflowExecutionStatus s = stub.describe().getStatus();
    FleetProgress p;
    if (s == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      try {
        p = stub.getResult(t.queryTimeout().toMillis(), TimeUnit.MILLISECONDS, FleetProgress.class);
      } catch (Exception e) {
        return null;
      }
    } else {
      try {
        p = client.newWorkflowStub(FleetRotationWorkflow.class, workflowId).progress();
      } catch (RuntimeException e) {
        return null;
      }
    }
    return s == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING || p == null
        ? p
        : membersNow(client, p, t);
  }

  /**
   * A closed fleet with each member it left RUNNING or IN_GRACE as its rotation stands now:
   * SUCCEEDED once it completed, FAILED (with why) if it ended otherwise. A running fleet follows
   * its members itself.
   */
  static FleetProgress membersNow(WorkflowClient client, FleetProgress p, KeyturnCli.Timing t) {
    List<Member> now = new ArrayList<>();
    boolean changed = false;
    for (Member m : p.members()) {
      Member n = m;
      if (m.state() == MemberState.IN_GRACE || m.state() == MemberState.RUNNING) {
        n = memberNow(client, m, t);
        changed |= n != m;
      }
      now.add(n);
    }
    return changed ? p.withMembers(now) : p;
  }

  private static Member memberNow(WorkflowClient client, Member m, KeyturnCli.Timing t) {
    WorkflowStub rotation = client.newUntypedWorkflowStub(m.workflowId());
    WorkflowExecutionStatus s;
    try {
      s = rotation.describe().getStatus();
    } catch (RuntimeException e) {
      return m; // gone past retention, or unreadable: the fleet's word stands
    }
    if (s == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING) {
      return m;
    }
    if (s == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED) {
      return new Member(m.secretId(), m.workflowId(), MemberState.SUCCEEDED, null);
    }
    String why = RotationWatcher.statusName(s);
    try {
      rotation.getResult(t.queryTimeout().toMillis(), TimeUnit.MILLISECONDS, Object.class);
    } catch (Exception e) {
      // A failed rotation says why itself; a terminated or timed-out one also says how it ended.
      String root = RotationMessages.rootMessage(e);
      why =
          s == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_FAILED ? root : why + ": " + root;
    }
    return new Member(m.secretId(), m.workflowId(), MemberState.FAILED, why);
  }

  static boolean closed(WorkflowClient client, String workflowId) {
    return client.newUntypedWorkflowStub(workflowId).describe().getStatus()
        != WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING;
  }

  /**
   * One line: "RUNNING wave 2: 3/10 done (1 rotated, 2 in grace, 0 failed, 0 skipped), 2 running".
   */
  static String line(FleetProgress p) {
    return String.format("%-9s", p.state())
        + " wave "
        + p.wave()
        + ": "
        + p.done()
        + "/"
        + p.total()
        + " done ("
        + p.succeeded()
        + " rotated, "
        + p.inGrace()
        + " in grace, "
        + p.failed()
        + " failed, "
        + p.skipped()
        + " skipped), "
        + p.running()
        + " running";
  }

  static void print(PrintWriter out, FleetProgress p, String ui) {
    out.println(p.fleetWorkflowId() + "  " + line(p));
    Report.row(out, "message", p.message());
    Report.row(out, "ui", ui);
    for (Member m : p.members()) {
      Report.row(
          out,
          m.secretId(),
          m.state() + "  " + m.workflowId() + (m.detail() == null ? "" : "  " + m.detail()));
    }
    if (p.state() == FleetProgress.State.STOPPED) {
      out.println(
          "Resume after fixing the cause: keyturn rotate-fleet --fleet-id "
              + p.fleetWorkflowId().substring(FleetRotationWorkflow.ID_PREFIX.length())
              + " (with the same selector)");
    }
  }

  static Map<String, Object> json(FleetProgress p, String ui) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workflowId", p.fleetWorkflowId());
    o.put("state", p.state().name());
    o.put("total", p.total());
    o.put("done", p.done());
    o.put("succeeded", p.succeeded());
    o.put("failed", p.failed());
    o.put("skipped", p.skipped());
    o.put("running", p.running());
    o.put("inGrace", p.inGrace());
    o.put("wave", p.wave());
    o.put("message", p.message());
    o.put("ui", ui);
    o.put(
        "members",
        p.members().stream()
            .map(
                m -> {
                  Map<String, Object> mm = new LinkedHashMap<>();
                  mm.put("secretId", m.secretId());
                  mm.put("workflowId", m.workflowId());
                  mm.put("state", m.state().name());
                  mm.put("detail", m.detail());
                  return mm;
                })
            .toList());
    return o;
  }

  /** Exit code of a finished fleet: 0 only when it completed with no failed member. */
  static int exitCode(FleetProgress p) {
    return p != null
            && p.state() == FleetProgress.State.COMPLETED
            && p.secretIds(MemberState.FAILED).isEmpty()
        ? 0
        : CliFailure.FAILED;
  }
}
