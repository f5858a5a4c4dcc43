package io.keyturn.workflows;

import java.util.List;

/** Failure types of a provider-key rotation (non-retryable: an operator must act). */
public final class ProviderKeyFailures {
  private ProviderKeyFailures() {}

  /** Preflight: the proxy has no deployment of this model group. */
  public static final String NO_SUCH_MODEL_GROUP = "NoSuchModelGroup";

  /** Preflight: the provider is unknown, or the worker has no credentials for it. */
  public static final String PROVIDER_UNUSABLE = "ProviderUnusable";

  /** The provider refused the new key. */
  public static final String KEY_REJECTED = "ProviderKeyRejected";

  /** No key was provided before the deadline. */
  public static final String NO_KEY_IN_TIME = "NoProviderKeyInTime";

  /** The new deployment did not answer through the proxy; rolled back. */
  public static final String ROLLED_BACK = "ProviderKeyRolledBack";

  /** The proxy refused a model write. */
  public static final String PROXY_REFUSED = "ProxyRefusedModelWrite";

  /** A master-key rotation of the same proxy runs. */
  public static final String MASTER_KEY_ROTATING = "MasterKeyRotating";

  public static final List<String> NON_RETRYABLE =
      List.of(
          NO_SUCH_MODEL_GROUP,
          PROVIDER_UNUSABLE,
          KEY_REJECTED,
          NO_KEY_IN_TIME,
          ROLLED_BACK,
          PROXY_REFUSED,
          MASTER_KEY_ROTATING);
}
