package io.keyturn.workflows.store;

import com.google.auto.service.AutoService;
import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * An Azure Key Vault destination: the vault's URL ({@code vaultUrl}, e.g. {@code
 * https://my-vault.vault.azure.net}) and the secret's {@code name} in it. Key Vault names are 1 to
 * 127 letters, digits and dashes. LiteLLM maps no name when it reads from Key Vault: it asks for
 * the name after {@code os.environ/} in its config exactly as written ({@code
 * SecretClient.get_secret(name)}), so that name must be this one, with dashes where an environment
 * variable would have underscores. Credentials come from the Azure default credential chain on the
 * worker.
 */
public record AzureKeyVaultConfig(URI vaultUrl, String name) {

  public static final String TYPE = "azure-keyvault";

  /** Key Vault's rule for object names. */
  public static final String NAME_PATTERN = "[0-9A-Za-z-]{1,127}";

  static final String URL_PATTERN = "https://[A-Za-z0-9.-]+(:[0-9]+)?/?";

  public AzureKeyVaultConfig {
    if (vaultUrl == null || !vaultUrl.toString().matches(URL_PATTERN)) {
      throw new IllegalArgumentException(
          "azure-keyvault store: 'vaultUrl' must be the vault's https URL, e.g."
              + " https://my-vault.vault.azure.net (the Vault URI on the vault's Overview page),"
              + " got '"
              + vaultUrl
              + "'");
    }
    vaultUrl = URI.create(vaultUrl.toString().replaceAll("/+$", ""));
    if (name == null || name.isBlank()) {
      throw new IllegalArgumentException(
          "azure-keyvault store: 'name' must name the secret in the vault, e.g. litellm-svc-a");
    }
    name = name.trim();
    if (!name.matches(NAME_PATTERN)) {
      throw new IllegalArgumentException(
          "azure-keyvault store: 'name' must be 1-127 letters, digits and '-' (Key Vault allows"
              + " nothing else), got '"
              + name
              + "'. LiteLLM reads the name after os.environ/ unchanged, so use the same dashed"
              + " name there, e.g. os.environ/"
              + name.replaceAll("[^0-9A-Za-z-]", "-"));
    }
  }

  /** {@code <vault host>/<name>}, e.g. {@code my-vault.vault.azure.net/litellm-svc-a}. */
  public String describe() {
    return vaultUrl.getAuthority() + "/" + name;
  }

  /** The {@value #TYPE} store type. */
  @AutoService(StoreType.class)
  public static final class Type extends StoreType<AzureKeyVaultConfig> {
    public Type() {
      super(
          TYPE,
          "Azure Key Vault: each rotation sets a new secret version with content type and tags"
              + " (generation, fingerprint); a rollback sets the previous value again as a new"
              + " version; credentials from the worker's Azure default credential chain.",
          StoreSetting.required(
                  "vaultUrl", "the vault's https URL, e.g. https://my-vault.vault.azure.net")
              .matching(URL_PATTERN),
          StoreSetting.required(
                  "name",
                  "the secret's name: 1-127 letters, digits and '-', the same name LiteLLM's"
                      + " config reads as os.environ/<name>")
              .matching(NAME_PATTERN));
    }

    @Override
    protected AzureKeyVaultConfig build(Map<String, String> v) {
      return new AzureKeyVaultConfig(URI.create(v.get("vaultUrl")), v.get("name"));
    }

    @Override
    public String describe(AzureKeyVaultConfig c) {
      return c.describe();
    }

    @Override
    public Problem checkFromHere(AzureKeyVaultConfig c, Map<String, String> env, Duration timeout) {
      // Without a token the vault answers 401: any answer proves the URL names a vault host.
      String err = answers(c.vaultUrl() + "/healthstatus", timeout);
      return err == null
          ? null
          : new Problem(
              "vaultUrl",
              "Azure Key Vault at " + c.vaultUrl() + " cannot be reached from here: " + err + ".",
              "check the vault URL (the Vault URI on the vault's Overview page), or pass"
                  + " --skip-checks if only the worker can reach it.");
    }
  }
}
