package io.keyturn.starter.commands;

import io.keyturn.starter.output.Report;
import io.keyturn.starter.schedules.SchedulePlan;
import io.keyturn.starter.schedules.ScheduledRotations;
import io.temporal.client.WorkflowClient;
import io.temporal.client.schedules.ScheduleHandle;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code keyturn pause} and {@code keyturn unpause}: stop or resume a secret's schedule. */
public abstract class PauseCommand extends OneSecretCommand {
  @Option(
      names = "--reason",
      paramLabel = "TEXT",
      description = "Why, kept as the schedule's note (default: who ran the command).")
  String reason;

  abstract boolean pausing();

  @Override
  protected int run(WorkflowClient client) {
    ScheduleHandle h = schedules(client).getHandle(ScheduledRotations.scheduleId(secretId));
    boolean was = existing(h, secretId).getSchedule().getState().isPaused();
    String note =
        (reason == null || reason.isBlank() ? "" : reason + " ")
            + "("
            + (pausing() ? "keyturn pause" : "keyturn unpause")
            + " by "
            + cli.user()
            + ")";
    if (pausing()) {
      h.pause(note);
    } else {
      h.unpause(note);
    }
    boolean now =
        SchedulePlan.describe(h).map(d -> d.getSchedule().getState().isPaused()).orElse(pausing());
    if (global.json()) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("secretId", secretId);
      o.put("scheduleId", h.getId());
      o.put("wasPaused", was);
      o.put("paused", now);
      o.put("note", note);
      Report.printJson(cli.out(), o);
    } else {
      cli.out()
          .println(
              h.getId()
                  + (now ? " is paused" : " is active")
                  + (was == now ? " (it already was)" : "")
                  + (reason == null || reason.isBlank() ? "" : ": " + reason.strip())
                  + " ("
                  + (pausing() ? "paused" : "unpaused")
                  + " by "
                  + cli.user()
                  + ")");
      if (pausing()) {
        cli.out()
            .println(
                "A rotation already running goes on (`keyturn history "
                    + secretId
                    + "`). `keyturn apply` unpauses it unless the file says paused: true.");
      }
    }
    return 0;
  }

  @Command(
      name = "pause",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      usageHelpAutoWidth = true,
      description = {
        "Pauses the schedule of one secret: no rotation starts until it is unpaused. A rotation"
            + " already running is not stopped. To keep it paused across `keyturn apply`, write"
            + " paused: true in the file."
      },
      footerHeading = "%nExamples:%n",
      footer = {
        "  keyturn pause billing-api --reason 'gateway migration'",
        "  keyturn pause billing-api --json",
        "",
        "Exit codes: 0 paused, 1 no such schedule or Temporal failed, 2 bad usage."
      })
  public static final class Pause extends PauseCommand {
    @Override
    boolean pausing() {
      return true;
    }
  }

  @Command(
      name = "unpause",
      mixinStandardHelpOptions = true,
      sortOptions = false,
      usageHelpAutoWidth = true,
      description = {"Resumes the schedule of one secret. Missed runs are not made up."},
      footerHeading = "%nExamples:%n",
      footer = {
        "  keyturn unpause billing-api",
        "  keyturn unpause billing-api --reason 'migration done' --json",
        "",
        "Exit codes: 0 active, 1 no such schedule or Temporal failed, 2 bad usage."
      })
  public static final class Unpause extends PauseCommand {
    @Override
    boolean pausing() {
      return false;
    }
  }
}
