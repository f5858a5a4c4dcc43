package io.keyturn.workflows.model;

import java.util.List;

/**
 * The worker's answer to {@code RotationCheckWorkflow}: what would stop the rotation's first step,
 * and which key it would replace when it chains from its store.
 *
 * @param problems one sentence per destination whose check failed (it names the destination)
 * @param heldKey the key the primary destination holds now, which a chaining rotation replaces;
 *     null when it holds none, the rotation does not chain, or a check failed
 * @param heldAt where {@code heldKey} was read (with the store's version); null with it
 */
public record RotationCheck(List<String> problems, KeyRef heldKey, String heldAt) {
  public RotationCheck {
    problems = problems == null ? List.of() : List.copyOf(problems);
  }
}
