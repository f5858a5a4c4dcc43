package io.keyturn.activities.provider;

import com.google.auto.service.AutoService;
import io.keyturn.workflows.provider.ManualProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
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

  @Override
  public boolean revoke(Map<String, String> settings, String providerId) {
    throw new UnsupportedOperationException(
        "manual keys are revoked by a person (`keyturn confirm-revoked`)");
  }
}
