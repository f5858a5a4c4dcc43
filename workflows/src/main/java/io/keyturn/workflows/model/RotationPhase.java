package io.keyturn.workflows.model;

/** Where a rotation stands. The order is the order of the workflow. */
public enum RotationPhase {
  STARTING,
  MINTING,
  VERIFYING,
  PUBLISHING,
  IN_GRACE,
  REVOKING,
  COMPLETED,
  /** Verify or publish failed for good: the new key was removed, the old key is untouched. */
  ROLLED_BACK,
  FAILED,
  /**
   * Grace is over but the old key is still carrying traffic: its revoke is held (rechecked on a
   * timer) until the traffic stops, the hold's limit, or {@code keyturn revoke-now}.
   */
  REVOKE_HELD
}
