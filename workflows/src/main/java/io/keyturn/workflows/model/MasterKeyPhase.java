package io.keyturn.workflows.model;

/** Where a master-key rotation is; shown as the search attribute {@code KeyturnPhase}. */
public enum MasterKeyPhase {
  PREFLIGHT,
  GENERATING,
  REENCRYPTING,
  PUBLISHING,
  RESTARTING,
  AWAITING_RESTART,
  VERIFYING,
  ROLLING_BACK,
  DONE,
  ROLLED_BACK,
  FAILED
}
