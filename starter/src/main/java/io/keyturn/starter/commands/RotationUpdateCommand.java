package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.output.Report;
import io.keyturn.starter.output.RotationView;
import io.keyturn.starter.output.RotationWatcher;
import io.keyturn.workflows.model.RotationStatus;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowStub;
import io.temporal.client.WorkflowUpdateException;
import io.temporal.client.WorkflowUpdateHandle;
import io.temporal.client.WorkflowUpdateStage;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A command that asks a running rotation to change course through a Temporal Update (rollback,
 * extend-grace): the rotation's validator refuses at once, with nothing changed, when the change
 * does not apply, and the CLI prints that refusal and exits 1. The rotation may be named by its
 * workflow id or by its secret id.
 */
abstract class RotationUpdateCommand extends OneRotationCommand {

  /**
   * What this command calls the change, in messages ("roll back", "change the grace period of").
   */
  protected abstract String doing();

  /** What a rotation that is not running means for this change. */
  protected abstract String notRunningHint(String workflowStatus);

  /**
   * Sends the update {@code name} with {@code args} to the running rotation {@link #id} and returns
   * the rotation's status after it; a refusal becomes a {@link CliFailure} with the rotation's own
   * words. A worker must accept or refuse it within {@link #acceptWithin()}: without one the
   * command stops saying so instead of waiting for ever. Once accepted, it waits for the outcome.
   */
  protected RotationStatus send(WorkflowClient client, String name, Object... args) {
    RotationView v = new RotationWatcher(client, cli.timing()).describeOnly(id);
    if (!v.running()) {
      throw CliFailure.failed(
          "cannot "
              + doing()
              + " "
              + id
              + ": it is not running (it is "
              + v.workflowStatus()
              + "). "
              + notRunningHint(v.workflowStatus())
              + " Nothing was changed. See `keyturn status "
              + id
              + "`.");
    }
    WorkflowStub stub = client.newUntypedWorkflowStub(id);
    CompletableFuture<WorkflowUpdateHandle<RotationStatus>> accepted =
        CompletableFuture.supplyAsync(
            () -> stub.startUpdate(name, WorkflowUpdateStage.ACCEPTED, RotationStatus.class, args));
    try {
      WorkflowUpdateHandle<RotationStatus> handle =
          accepted.get(acceptWithin().toMillis(), TimeUnit.MILLISECONDS);
      return handle.getResult();
    } catch (TimeoutException e) {
      throw CliFailure.failed(
          "cannot "
              + doing()
              + " "
              + id
              + ": no keyturn worker answered within "
              + acceptWithin().toSeconds()
              + " s (is one running on the task queue?). The request may still be applied when a"
              + " worker picks it up, unless the rotation refuses it then: check `keyturn status "
              + id
              + "` before sending it again.");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliFailure.failed("interrupted while waiting for " + id + " to answer");
    } catch (ExecutionException e) {
      throw refused(e.getCause());
    } catch (WorkflowUpdateException e) {
      throw refused(e);
    }
  }

  /** How long a worker has to accept or refuse the update: six status-query timeouts (60 s). */
  private Duration acceptWithin() {
    return cli.timing().queryTimeout().multipliedBy(6);
  }

  private RuntimeException refused(Throwable e) {
    if (e instanceof WorkflowUpdateException u) {
      return CliFailure.failed("cannot " + doing() + " " + id + ": " + refusal(u));
    }
    return e instanceof RuntimeException r ? r : new IllegalStateException(e);
  }

  /** The rotation's own refusal, without Temporal's wrapping. */
  static String refusal(Throwable e) {
    String said = null;
    for (Throwable c = e.getCause(); c != null; c = c.getCause() == c ? null : c.getCause()) {
      String m = c instanceof ApplicationFailure af ? af.getOriginalMessage() : c.getMessage();
      if (m != null && !m.isBlank()) {
        said = m;
      }
    }
    return said == null ? String.valueOf(e.getMessage()) : said;
  }

  /** The JSON answer: the workflow id, the update's name and the rotation's status after it. */
  protected Map<String, Object> json(String update, RotationStatus s) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workflowId", id);
    o.put("update", update);
    o.put("phase", s.phase() == null ? null : s.phase().name());
    o.put("graceEndsAt", s.graceEndsAt());
    o.put("message", s.message());
    o.put("ui", uiLink(id));
    return o;
  }

  protected void printJson(Map<String, Object> o) {
    Report.printJson(cli.out(), o);
  }
}
