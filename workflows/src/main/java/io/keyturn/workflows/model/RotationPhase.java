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
  FAILED
}
