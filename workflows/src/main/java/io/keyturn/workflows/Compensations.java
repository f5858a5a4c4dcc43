package io.keyturn.workflows;

import io.temporal.failure.ActivityFailure;
import io.temporal.workflow.Workflow;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The undo steps of a rotation, registered as each step may have taken effect and run in reverse
 * order in a detached cancellation scope, so that a cancelled rotation still cleans up. Each undo
 * says in words what it did; an undo that fails says what an operator must do instead, and the
 * remaining undos still run.
 */
final class Compensations {
  private record Undo(Supplier<String> action, Function<ActivityFailure, String> ifItFails) {}

  private final Deque<Undo> stack = new ArrayDeque<>();

  /**
   * Registers {@code action} to run on failure. Register it before the step it undoes when that
   * step may take effect without answering (a lost reply), so the undo must be idempotent.
   */
  void add(Supplier<String> action, Function<ActivityFailure, String> ifItFails) {
    stack.push(new Undo(action, ifItFails));
  }

  /** Runs every registered undo, newest first; returns what each did, in that order. */
  String unwind() {
    StringBuilder said = new StringBuilder();
    Workflow.newDetachedCancellationScope(
            () -> {
              while (!stack.isEmpty()) {
                Undo u = stack.pop();
                String outcome;
                try {
                  outcome = u.action().get();
                } catch (ActivityFailure e) {
                  outcome = u.ifItFails().apply(e);
                }
                if (outcome != null && !outcome.isBlank()) {
                  said.append(outcome.trim()).append(' ');
                }
              }
            })
        .run();
    return said.toString().trim();
  }
}
