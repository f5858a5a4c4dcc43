package io.keyturn.workflows.provider;

import com.google.auto.service.AutoService;

/**
 * {@code provider: manual}: a person creates the key in the provider's console and hands it to the
 * waiting rotation ({@code keyturn provide}), then revokes the old one there ({@code keyturn
 * confirm-revoked}). Works for any provider whose key is one API key. No settings.
 */
@AutoService(ProviderType.class)
public final class ManualProviderType extends ProviderType {
  public static final String NAME = "manual";

  public ManualProviderType() {
    super(
        NAME,
        "any provider: a person creates the key and hands it in with `keyturn provide`",
        false,
        KeyShape.API_KEY);
  }
}
