package io.keyturn.workflows.operator;

import java.util.List;

/**
 * The VirtualKey objects of one secret's lineage in one namespace: the one keyturn.yaml names
 * (generation 1) and the copies Keyturn made of it (labelled with its name and their generation).
 *
 * @param namespace where they are
 * @param base the name keyturn.yaml gives; the copies are {@code <base>-g<generation>}
 * @param baseAlias the alias of the base ({@code spec.keyAlias}); the copies' are {@code
 *     <baseAlias>-g<generation>}
 * @param current the newest present object: the one a rotation copies
 * @param currentTokenHash {@code status.token} of the current one (the hash of its key), or empty
 * @param older the other present objects of the lineage, oldest first: deleted with the current one
 *     after the grace period (left over by an interrupted rotation)
 * @param nextGeneration the generation of the copy a rotation makes
 */
public record VirtualKeyLineage(
    String namespace,
    String base,
    String baseAlias,
    String current,
    String currentTokenHash,
    List<String> older,
    int nextGeneration) {
  public VirtualKeyLineage {
    older = older == null ? List.of() : List.copyOf(older);
  }

  /** The copy a rotation makes: its object name. */
  public String nextName() {
    return base + "-g" + nextGeneration;
  }

  /** The copy a rotation makes: its alias. */
  public String nextAlias() {
    return baseAlias + "-g" + nextGeneration;
  }
}
