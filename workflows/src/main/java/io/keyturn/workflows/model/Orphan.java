package io.keyturn.workflows.model;

import java.util.List;

/**
 * A key Keyturn minted that nothing uses: no destination of its secret (or of any other secret the
 * file declares) holds it, and no running rotation owns it (a running rotation owns the key it
 * mints and the key it replaces).
 *
 * @param evidence one sentence per fact that makes it an orphan (what minted it, which destinations
 *     were read and what they hold, which rotations run)
 */
public record Orphan(ProxyKey key, List<String> evidence) {
  public Orphan {
    evidence = evidence == null ? List.of() : List.copyOf(evidence);
  }
}
