package io.keyturn.workflows.operator;

/**
 * A VirtualKey a rotation created (or adopted: it existed, labelled as this rotation's).
 *
 * @param namespace where it is
 * @param name its name
 * @param alias its {@code spec.keyAlias}
 * @param generation its generation in the lineage
 * @param adopted whether it existed already (a retried or resumed rotation)
 */
public record VirtualKeyCopy(
    String namespace, String name, String alias, int generation, boolean adopted) {
  public String ref() {
    return namespace + "/" + name;
  }
}
