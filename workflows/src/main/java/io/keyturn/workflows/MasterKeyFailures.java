package io.keyturn.workflows;

import java.util.List;

/** Failure types of a master-key rotation (non-retryable: an operator must act). */
public final class MasterKeyFailures {
  private MasterKeyFailures() {}

  /** Preflight: the key in the first destination is not accepted as the master key. */
  public static final String MASTER_KEY_REFUSED = "MasterKeyRefused";

  /** Preflight: the first destination holds no key. */
  public static final String NO_CURRENT_MASTER_KEY = "NoCurrentMasterKey";

  /** Preflight: the proxy is not ready or has no database. */
  public static final String PROXY_NOT_READY = "ProxyNotReady";

  /** The proxy refused the re-encryption: nothing was re-encrypted. */
  public static final String REENCRYPT_REFUSED = "ReencryptRefused";

  /** Verify failed; the rotation rolled back to the old key. */
  public static final String ROLLED_BACK = "MasterKeyRolledBack";

  /** The rotation stopped in a state an operator must finish; the message says which holds what. */
  public static final String NEEDS_OPERATOR = "MasterKeyNeedsOperator";

  /** A restart webhook answered 4xx: its settings are wrong. */
  public static final String RESTART_REFUSED = "RestartRefused";

  /**
   * Preflight: a provider-key rotation of the same proxy runs (it adds and removes stored model
   * credentials, which a master-key rotation re-encrypts): nothing changed.
   */
  public static final String PROVIDER_KEY_ROTATING = "ProviderKeyRotating";

  public static final List<String> NON_RETRYABLE =
      List.of(
          MASTER_KEY_REFUSED,
          NO_CURRENT_MASTER_KEY,
          PROXY_NOT_READY,
          REENCRYPT_REFUSED,
          ROLLED_BACK,
          NEEDS_OPERATOR,
          RESTART_REFUSED,
          PROVIDER_KEY_ROTATING);
}
