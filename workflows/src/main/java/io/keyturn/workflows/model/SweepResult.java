package io.keyturn.workflows.model;

import java.util.List;

/**
 * An orphan sweep's answer: the report (for a sweep that only reports) or what happened to each
 * confirmed key (for one that deletes).
 */
public record SweepResult(OrphanReport report, List<OrphanDeletion> deletions) {
  public SweepResult {
    deletions = deletions == null ? List.of() : List.copyOf(deletions);
  }
}
