package io.keyturn.workflows.model;

import java.util.List;

/**
 * What an orphan sweep found.
 *
 * @param orphans the keys to delete, oldest first
 * @param keyturnKeys how many keys Keyturn minted the proxies hold (orphans included)
 * @param notes keys that were not judged and why (a secret not in the file, a destination that
 *     could not be read): never listed as orphans
 */
public record OrphanReport(List<Orphan> orphans, int keyturnKeys, List<String> notes) {
  public OrphanReport {
    orphans = orphans == null ? List.of() : List.copyOf(orphans);
    notes = notes == null ? List.of() : List.copyOf(notes);
  }
}
