package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.checks.RotationPreflight;
import io.keyturn.starter.config.ConfigProblem;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.schedules.KindSchedules;
import io.keyturn.starter.schedules.SchedulePlan;
import io.keyturn.starter.schedules.SchedulePlan.Action;
import io.keyturn.starter.schedules.SchedulePlan.Change;
import io.keyturn.starter.schedules.ScheduledRotations;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.client.WorkflowClient;
import io.temporal.client.schedules.Schedule;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleHandle;
import io.temporal.client.schedules.ScheduleOptions;
import io.temporal.client.schedules.ScheduleUpdate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/** {@code keyturn apply}: makes Temporal's schedules match the file. */
@Command(
    name = "apply",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Makes Temporal's schedules match the file, doing exactly what `keyturn plan` shows: one"
          + " schedule keyturn/<id> per secret, which starts the rotation workflow"
          + " rotation/<id>/scheduled-<time>. A second apply changes nothing.",
      "",
      "The file is validated and every declared current key is read (from its variable or file)"
          + " before anything is changed; with a problem, exit 2 and nothing is created. The key"
          + " travels to Temporal only as its hash, and sealed to the worker's public key"
          + " (KEYTURN_WORKER_PUBLIC_KEY or _FILE). Before changing anything, the CLI asks the"
          + " worker for its keys and refuses if that public key or the payload key is not the"
          + " worker's. Then, for each schedule it creates or updates, it asks the worker to"
          + " check the destinations and read the key the first one holds, and checks that the"
          + " gateway has the key the first rotation would replace (that one, else currentKey);"
          + " --skip-checks skips these checks.",
      "",
      "The paused state follows the file: `paused: true` pauses, removing it unpauses (a"
          + " schedule paused with `keyturn pause` is unpaused by the next apply unless the file"
          + " says paused). A secret removed from the file keeps its schedule unless --prune is"
          + " given; its keys are never deleted.",
      "",
      "Overlap: a rotation still running (e.g. in its grace period) when the next is due makes"
          + " the schedule skip that run, so one secret is never rotated twice at once.",
      "",
      "A secret with operator: {virtualKey: ns/name} is scheduled as its rotation through the"
          + " LiteLLM operator (operator-rotation/<id>, as `keyturn rotate-operator`). A"
          + " masterKeys: entry with a schedule: gets the schedule keyturn/master-key/<id>, which"
          + " starts the master-key rotation master-key/<id> (as `keyturn rotate-master`); with"
          + " restart mode manual each run waits for `keyturn confirm-restart`. A providerKeys:"
          + " entry with a schedule: gets keyturn/provider-key/<modelGroup>, which starts"
          + " provider-key/<modelGroup> (as `keyturn rotate-provider`); with provider manual each"
          + " run waits for `keyturn provide` until its keyDeadline, then fails changing nothing."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  export TEMPORAL_ADDRESS=127.0.0.1:7233 KEYTURN_PAYLOAD_KEY_FILE=~/.keyturn/payload.key",
      "  export KEYTURN_WORKER_PUBLIC_KEY_FILE=~/.keyturn/worker.pub",
      "  keyturn plan -f keyturn.yaml && keyturn apply -f keyturn.yaml",
      "  keyturn apply -f config/ --prune --json",
      "",
      "Exit codes: 0 applied (or nothing to do), 1 Temporal failed or a schedule id is taken by a"
          + " schedule Keyturn did not create, 2 the file is invalid, a current key cannot be"
          + " read, or a check found that a first rotation could not succeed."
    })
public final class ApplyCommand extends ReconcileCommand {

  /** Schedules start rotations: the worker must hold this CLI's keys (unless --skip-checks). */
  @Override
  protected boolean startsRotations() {
    return !skipChecks;
  }

  @Override
  protected int run(WorkflowClient client) {
    ScheduleClient schedules = schedules(client);
    SchedulePlan plan = SchedulePlan.compute(schedules, specs, masterKeys, providerKeys, prune);
    List<Change> conflicts = plan.of(Action.CONFLICT);
    if (!conflicts.isEmpty()) {
      throw CliFailure.failed(
          "nothing was changed: "
              + conflicts.stream().map(c -> c.scheduleId() + ": " + c.detail()).toList());
    }
    // Every key is read before the first write, so a missing one changes nothing.
    Map<String, RotationRequest> requests = new HashMap<>();
    List<ConfigProblem> problems = new ArrayList<>();
    for (Change c : plan.changes()) {
      // A master key's, a provider key's and an operator rotation's schedule carry no key.
      if ((c.action() == Action.CREATE || c.action() == Action.UPDATE)
          && c.isSecret()
          && c.spec().operatorVirtualKey() == null) {
        try {
          requests.put(c.secretId(), ScheduledRotations.request(c.spec(), cli.env()));
        } catch (ScheduledRotations.BadSpec e) {
          problems.add(e.problem());
        }
      }
    }
    if (problems.isEmpty() && !skipChecks) {
      // Each schedule's first rotation could start: its destinations and the key it replaces.
      problems.addAll(
          RotationPreflight.forSchedules(client, specs, requests, cli.env(), cli.err()));
    }
    if (!problems.isEmpty()) {
      throw ConfigFiles.invalid(config.file, problems, global.json(), cli.out());
    }
    if (!global.json()) {
      cli.out().println("Apply: " + header());
    }
    for (Change c : plan.changes()) {
      apply(schedules, c, requests.get(c.secretId()));
    }
    if (global.json()) {
      Report.printJson(cli.out(), planJson(plan, true));
    } else {
      printPlan(cli.out(), plan, true);
      if (!plan.hasChanges()) {
        cli.out().println("No changes.");
      }
    }
    return 0;
  }

  private void apply(ScheduleClient schedules, Change c, RotationRequest request) {
    ScheduleHandle h = schedules.getHandle(c.scheduleId());
    String from = "keyturn apply -f " + config.file;
    switch (c.action()) {
      case CREATE -> {
        boolean paused = c.pausedInFile();
        String note = (paused ? "paused by " : "created by ") + from;
        schedules.createSchedule(
            c.scheduleId(),
            schedule(c, request, paused, note),
            ScheduleOptions.newBuilder()
                .setMemo(
                    c.master() != null
                        ? KindSchedules.scheduleMemo(c.master())
                        : c.provider() != null
                            ? KindSchedules.scheduleMemo(c.provider())
                            : ScheduledRotations.scheduleMemo(c.spec()))
                .build());
      }
      case UPDATE ->
          h.update(
              in -> {
                boolean paused = c.pausedInFile();
                boolean wasPaused = in.getDescription().getSchedule().getState().isPaused();
                String note =
                    paused == wasPaused
                        ? in.getDescription().getSchedule().getState().getNote()
                        : (paused ? "paused by " : "unpaused by ") + from;
                return new ScheduleUpdate(schedule(c, request, paused, note));
              });
      case PAUSE -> h.pause("paused by " + from);
      case UNPAUSE -> h.unpause("unpaused by " + from);
      case DELETE -> h.delete();
      default -> {}
    }
  }

  private static Schedule schedule(Change c, RotationRequest request, boolean paused, String note) {
    if (c.master() != null) {
      return KindSchedules.schedule(c.master(), paused, note);
    }
    if (c.provider() != null) {
      return KindSchedules.schedule(c.provider(), paused, note);
    }
    return ScheduledRotations.schedule(c.spec(), request, paused, note);
  }
}
