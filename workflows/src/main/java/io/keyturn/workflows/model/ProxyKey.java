package io.keyturn.workflows.model;

/**
 * A key at a LiteLLM proxy that Keyturn minted, as {@code /key/list} shows it: its alias is {@code
 * keyturn-<secret>-g<generation>} and its metadata names the secret, generation and rotation that
 * minted it (written at mint). Never its value.
 *
 * @param createdAt the proxy's {@code created_at}, as it sent it (null when it sent none)
 * @param workflowId the rotation that minted it ({@code keyturn_workflow_id})
 */
public record ProxyKey(
    KeyRef ref,
    String alias,
    String createdAt,
    String secretId,
    long generation,
    String workflowId,
    String gatewayUrl) {

  /** The alias a rotation of {@code secretId} at {@code generation} mints under. */
  public static String aliasOf(String secretId, long generation) {
    return "keyturn-" + secretId + "-g" + generation;
  }

  /** The prefix of every alias Keyturn mints under. */
  public static final String ALIAS_PREFIX = "keyturn-";
}
