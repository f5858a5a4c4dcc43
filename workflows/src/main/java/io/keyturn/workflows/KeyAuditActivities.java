package io.keyturn.workflows;

import io.keyturn.workflows.model.Orphan;
import io.keyturn.workflows.model.OrphanDeletion;
import io.keyturn.workflows.model.OrphanReport;
import io.keyturn.workflows.model.SecretDrift;
import io.keyturn.workflows.model.SecretTargets;
import io.temporal.activity.ActivityInterface;
import java.util.List;

/**
 * Read the proxies, the stores and Temporal together, with the worker's credentials, to find what
 * no rotation looks after: keys Keyturn minted that nothing uses (orphans) and destinations that no
 * longer hold the key they should (drift). Nothing here fixes drift; only {@link #deleteOrphan}
 * changes anything, and only a key it has just found to be an orphan again.
 */
@ActivityInterface
public interface KeyAuditActivities {

  /**
   * Lists every key Keyturn minted at the gateways of {@code secrets} ({@code /key/list}) and
   * returns those no destination of any of {@code secrets} holds and no running rotation owns.
   * Read-only. A key whose secret is not in {@code secrets}, or one of whose destinations cannot be
   * read, is never an orphan (a note says so).
   */
  OrphanReport findOrphans(List<SecretTargets> secrets);

  /**
   * Checks {@code orphan}'s key once more, as {@link #findOrphans} does (it still exists, no
   * destination holds it now, no running rotation owns it), then deletes it by token hash.
   * Idempotent: a key already gone counts as done; a key that is no longer an orphan is kept and
   * the answer says why.
   */
  OrphanDeletion deleteOrphan(List<SecretTargets> secrets, Orphan orphan);

  /** Checks one secret for drift (see {@link SecretDrift}). Read-only: drift is reported. */
  SecretDrift checkDrift(SecretTargets secret);
}
