package io.keyturn.workflows.model;

import java.util.List;

/**
 * An orphan sweep: the secrets the file declares, and the orphans the operator confirmed for
 * deletion (empty: only report).
 */
public record SweepRequest(List<SecretTargets> secrets, List<Orphan> delete) {
  public SweepRequest {
    secrets = secrets == null ? List.of() : List.copyOf(secrets);
    delete = delete == null ? List.of() : List.copyOf(delete);
  }
}
