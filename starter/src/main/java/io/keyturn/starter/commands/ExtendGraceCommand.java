package io.keyturn.starter.commands;

import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.GraceChange;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.client.WorkflowClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Unmatched;

/** {@code keyturn extend-grace}: moves the end of a running grace period. */
@Command(
    name = "extend-grace",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    usageHelpAutoWidth = true,
    description = {
      "Moves the end of a rotation's grace period while it runs: later by DURATION, or, with"
          + " --ends-in, to DURATION from now (shorter or longer than before). The old key is"
          + " revoked at the new end; `keyturn status` and the Temporal UI's current details show"
          + " it.",
      "",
      "The grace period may last at most "
          + "90"
          + " days from the moment the new key was published. Durations are positive ("
          + Durations.FORMS
          + "); to end the grace period now use `keyturn revoke-now`. Refused, with nothing"
          + " changed: past that bound, a zero or negative duration, and a rotation that is not in"
          + " its grace period."
    },
    footerHeading = "%nExamples:%n",
    footer = {
      "  keyturn extend-grace billing-api 48h          # 48 hours later than planned",
      "  keyturn extend-grace billing-api --ends-in 2h # ends 2 hours from now",
      "  keyturn extend-grace rotation/billing-api 7d --json",
      "",
      "Exit code: 0 when the grace period was changed, 1 when the rotation refused or was not"
          + " found (nothing changed), 2 for bad usage (a duration that is not one, zero or"
          + " negative)."
    })
public final class ExtendGraceCommand extends RotationUpdateCommand {
  @Parameters(
      index = "1",
      arity = "0..1",
      paramLabel = "DURATION",
      description = "How much later the grace period ends, e.g. 48h or 7d.")
  String extendBy;

  @Option(
      names = "--ends-in",
      paramLabel = "DURATION",
      description = "Instead: the grace period ends this long from now (may shorten it).")
  String endsIn;

  /** Anything picocli could not place, such as a negative duration ("-2h") read as an option. */
  @Unmatched List<String> unmatched = new ArrayList<>();

  private GraceChange change;

  @Override
  protected void prepare() {
    super.prepare();
    if (!unmatched.isEmpty()) {
      String first = unmatched.get(0);
      if (first.matches("-\\d.*")) {
        throw usage(
            "'"
                + first
                + "' is negative: extend-grace takes a positive duration. To shorten the grace"
                + " period use --ends-in DURATION (from now); to end it now use `keyturn"
                + " revoke-now`.");
      }
      throw usage("unknown argument '" + first + "': see `keyturn extend-grace --help`");
    }
    if ((extendBy == null) == (endsIn == null)) {
      throw usage(
          "give either a DURATION to extend the grace period by (e.g. 48h) or --ends-in DURATION,"
              + " not "
              + (extendBy == null ? "neither" : "both"));
    }
    GraceChange.Kind kind =
        extendBy != null ? GraceChange.Kind.EXTEND_BY : GraceChange.Kind.ENDS_IN;
    String text = extendBy != null ? extendBy : endsIn;
    Duration d;
    try {
      d = Durations.parse(text);
    } catch (IllegalArgumentException e) {
      throw usage(e.getMessage());
    }
    if (d.isNegative() || d.isZero()) {
      throw usage(
          "'"
              + text
              + "' is not positive: to end the grace period now use `keyturn revoke-now`"
              + (kind == GraceChange.Kind.EXTEND_BY
                  ? "; to shorten it use --ends-in DURATION (from now)"
                  : ""));
    }
    if (d.compareTo(RotationRequest.MAX_GRACE) > 0) {
      throw usage(
          "'"
              + text
              + "' is longer than the bound: a grace period lasts at most "
              + RotationRequest.MAX_GRACE.toDays()
              + " days from publish");
    }
    change = new GraceChange(kind, d, null);
  }

  @Override
  protected String doing() {
    return "change the grace period of";
  }

  @Override
  protected String notRunningHint(String workflowStatus) {
    return "Its grace period is over.";
  }

  @Override
  protected int run(WorkflowClient client) {
    GraceChange asked = new GraceChange(change.kind(), change.amount(), cli.user());
    RotationStatus s = send(client, KeyRotationWorkflow.CHANGE_GRACE, asked);
    if (global.json()) {
      Map<String, Object> o = json("changeGrace", s);
      o.put("change", asked.describe());
      printJson(o);
    } else {
      cli.out()
          .println(id + "  grace period " + asked.describe() + ": now ends at " + s.graceEndsAt());
      cli.out().println(s.message());
    }
    return 0;
  }
}
