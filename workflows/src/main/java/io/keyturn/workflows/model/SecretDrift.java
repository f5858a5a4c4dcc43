package io.keyturn.workflows.model;

import java.util.List;

/**
 * One secret's drift check: whether every destination holds the key the primary holds (and the key
 * the last completed rotation published), and the proxy has that key, live, with the policy the
 * file writes out. Fingerprints only.
 *
 * @param state {@link #OK}, {@link #DRIFT} or {@link #UNKNOWN} (could not be checked: a rotation
 *     runs, a store did not answer)
 * @param currentKey the fingerprint the primary destination holds; null when it holds none
 * @param findings one sentence per difference (for UNKNOWN: why it was not checked)
 * @param checkedAt ISO-8601 UTC
 */
public record SecretDrift(
    String secretId, String state, String currentKey, List<String> findings, String checkedAt) {
  public static final String OK = "ok";
  public static final String DRIFT = "drift";
  public static final String UNKNOWN = "unknown";

  public SecretDrift {
    findings = findings == null ? List.of() : List.copyOf(findings);
  }

  public boolean drifted() {
    return DRIFT.equals(state);
  }
}
