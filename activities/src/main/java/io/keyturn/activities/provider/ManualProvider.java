package io.keyturn.activities.provider;

import com.google.auto.service.AutoService;
import io.keyturn.workflows.provider.KeyShape;
import io.keyturn.workflows.provider.ManualProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
import java.time.Duration;
import java.util.Map;

/**
 * {@code provider: manual}: a person creates the key in the provider's console and hands it in
 * ({@code keyturn provide}), then revokes the old one there ({@code keyturn confirm-revoked}).
 */
public final class ManualProvider implements KeyProvider {
  /** Registers this provider with the worker. */
  @AutoService(KeyProvider.Factory.class)
  public static final class Factory implements KeyProvider.Factory {
    @Override
    public KeyProvider make(ProviderContext worker) {
      return new ManualProvider();
    }
  }

  private final Duration propagation;

  /** Asking STS about a new AWS key for up to 30 s, as aws-iam does. */
  public ManualProvider() {
    this(Duration.ofSeconds(30));
  }

  /** With {@code propagation} as how long a new AWS key may stay unknown to STS. */
  public ManualProvider(Duration propagation) {
    this.propagation = propagation;
  }

  @Override
  public String name() {
    return ManualProviderType.NAME;
  }

  @Override
  public String problem(Map<String, String> settings) {
    return KeyProviders.settingsProblem(ProviderTypes.get(name()), settings);
  }

  @Override
  public boolean automated() {
    return false;
  }

  @Override
  public Created create(Map<String, String> settings, String name) {
    throw new UnsupportedOperationException("manual keys are handed in with `keyturn provide`");
  }

  /**
   * An AWS pair ({@code keyShape: aws-access-key}) is checked with STS {@code GetCallerIdentity},
   * signed with it, as aws-iam checks its keys, except that any IAM identity will do (the person
   * chose the user); one API key is checked by the deployment's {@code GET /models}.
   */
  @Override
  public boolean verifyAtProvider(Map<String, String> settings, String value) {
    if (ProviderTypes.get(name()).keyShape(settings) != KeyShape.AWS_ACCESS_KEY) {
      return false;
    }
    return AwsIamProvider.askSts(settings, value, null, propagation);
  }

  @Override
  public boolean revoke(Map<String, String> settings, String providerId) {
    throw new UnsupportedOperationException(
        "manual keys are revoked by a person (`keyturn confirm-revoked`)");
  }
}
