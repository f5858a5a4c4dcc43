package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.output.Report;
import io.keyturn.workflows.RotationMessages;
import io.temporal.client.WorkflowFailedException;
import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Follows a started workflow of a kind other than a virtual-key rotation (master key, provider key,
 * rotation through the operator) to its end: each new status line on stderr (not with --json), then
 * its result on stdout, or its failure as exit 1 with {@code outcome: failed} in --json.
 */
final class WorkflowFollower {
  private WorkflowFollower() {}

  /**
   * @param statusLine asks the workflow where it stands (a query); a failed query is asked again at
   *     the next poll
   * @param resultFields the --json fields of a result, after {@code workflowId} and {@code outcome}
   * @param summary the text printed for a result without --json
   * @param whenInterrupted what the user can run to follow it further
   */
  static <R> int follow(
      PrintWriter out,
      PrintWriter err,
      boolean json,
      String id,
      CompletableFuture<R> result,
      Supplier<String> statusLine,
      Function<R, Map<String, Object>> resultFields,
      Function<R, String> summary,
      String whenInterrupted) {
    String said = "";
    while (true) {
      try {
        R r = result.get(1, TimeUnit.SECONDS);
        if (json) {
          Map<String, Object> o = new LinkedHashMap<>();
          o.put("workflowId", id);
          o.put("outcome", "rotated");
          o.putAll(resultFields.apply(r));
          Report.printJson(out, o);
        } else {
          out.println(summary.apply(r));
        }
        return 0;
      } catch (TimeoutException e) {
        if (!json) {
          try {
            String line = statusLine.get();
            if (!line.equals(said)) {
              err.println(line);
              err.flush();
              said = line;
            }
          } catch (RuntimeException queryFailed) {
            // the worker is busy or restarting: the next poll asks again
          }
        }
      } catch (ExecutionException e) {
        String why =
            e.getCause() instanceof WorkflowFailedException wfe
                ? RotationMessages.rootMessage(wfe)
                : String.valueOf(e.getCause());
        if (json) {
          Map<String, Object> o = new LinkedHashMap<>();
          o.put("workflowId", id);
          o.put("outcome", "failed");
          o.put("error", why);
          Report.printJson(out, o);
        }
        throw new CliFailure(CliFailure.FAILED, id + " failed: " + why, json);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CliFailure.failed("interrupted; the rotation goes on: " + whenInterrupted);
      }
    }
  }
}
