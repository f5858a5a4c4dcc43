package io.keyturn.workflows.model;

/** Where a provider-key rotation is. */
public enum ProviderKeyPhase {
  PREFLIGHT,
  CREATING_KEY,
  AWAITING_KEY,
  VERIFYING_AT_PROVIDER,
  /** Secret-store mode: writing the new key where the proxy reads it ({@code os.environ/NAME}). */
  PUBLISHING,
  ADDING_DEPLOYMENT,
  VERIFYING_THROUGH_PROXY,
  OVERLAP,
  REMOVING_OLD,
  IN_GRACE,
  REVOKING_OLD,
  AWAITING_REVOKE_CONFIRMATION,
  ROLLING_BACK,
  DONE,
  ROLLED_BACK,
  FAILED
}
