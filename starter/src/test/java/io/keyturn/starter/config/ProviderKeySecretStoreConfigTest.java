package io.keyturn.starter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProxySecretStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code providerKeys[].secretStore}: the proxy reads the key from secret stores, so the grace must
 * outlast the proxy's secret cache; a shorter one is refused, naming the entry and the cache.
 */
class ProviderKeySecretStoreConfigTest {
  @TempDir Path dir;

  Path write(String extra) throws Exception {
    Path f = dir.resolve("keyturn.yaml");
    Files.writeString(
        f,
        "apiVersion: keyturn/v1\nproviderKeys:\n"
            + "  - id: chat\n"
            + "    gateway: {url: http://litellm:4000}\n"
            + "    modelGroup: gpt-4o-mini\n"
            + "    provider: openai\n"
            + "    project: proj_abc\n"
            + extra);
    return f;
  }

  static final String VAULT =
      "    secretStore:\n"
          + "      destinations:\n"
          + "        - {type: vault-kv2, name: OPENAI_API_KEY, pathPrefix: /}\n";

  @Test
  void aGraceLongerThanTheDefaultCacheLoadsAndTheRequestCarriesTheStores() throws Exception {
    ProviderKeySpec p = ConfigLoader.loadProviderKeys(write("    grace: 25h\n" + VAULT)).get(0);
    ProviderKeyRequest r = p.request("t");
    assertThat(r.throughSecretStore()).isTrue();
    assertThat(r.secretStore().proxyCache()).isEqualTo(ProxySecretStore.DEFAULT_PROXY_CACHE);
    assertThat(r.secretStore().destinations().get(0).describe())
        .isEqualTo("vault-kv2 secret/OPENAI_API_KEY#key");
  }

  @Test
  void theDefaultGraceIsNotLongerThanLiteLlmsDefaultCacheAndSyncAndIsRefused() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.loadProviderKeys(write(VAULT)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("providerKeys[0].grace")
        .hasMessageContaining("provider key 'chat'")
        .hasMessageContaining(
            "the grace period (1d) is not longer than the proxy's secret cache (1d30s)")
        .hasMessageContaining("make grace longer than secretStore.proxyCache");
  }

  @Test
  void aShortCacheAllowsAShortGraceButNotAnEqualOne() throws Exception {
    String cache = VAULT + "      proxyCache: 30s\n";
    ProviderKeySpec p = ConfigLoader.loadProviderKeys(write("    grace: 1m\n" + cache)).get(0);
    assertThat(p.secretStore().proxyCache()).isEqualTo(Duration.ofSeconds(30));
    assertThatThrownBy(() -> ConfigLoader.loadProviderKeys(write("    grace: 30s\n" + cache)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("(30s) is not longer than the proxy's secret cache (30s)");
  }

  @Test
  void overlapHasNoUseWithASecretStore() throws Exception {
    assertThatThrownBy(
            () -> ConfigLoader.loadProviderKeys(write("    grace: 25h\n    overlap: 1h\n" + VAULT)))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("providerKeys[0].overlap")
        .hasMessageContaining("remove overlap");
  }

  @Test
  void theSchemaRefusesNoDestinationsAnUnknownStoreAndAnUnknownField() throws Exception {
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write("    grace: 25h\n    secretStore:\n      destinations: []\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("destinations");
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(
                        "    grace: 25h\n    secretStore:\n      destinations:\n"
                            + "        - {type: nosuch, name: X}\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is not a destination type Keyturn knows");
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write("    grace: 25h\n" + VAULT + "      cache: 1h\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("cache")
        .hasMessageContaining("is not a known field here");
  }

  @Test
  void aFileDestinationIsResolvedAgainstTheFile() throws Exception {
    ProviderKeySpec p =
        ConfigLoader.loadProviderKeys(
                write(
                    "    grace: 25h\n    secretStore:\n      destinations:\n"
                        + "        - {type: file, path: keys/openai.env, format: env, field:"
                        + " OPENAI_API_KEY}\n"))
            .get(0);
    assertThat(p.secretStore().destinations().get(0).settings().get("path"))
        .isEqualTo(dir.resolve("keys/openai.env").toString());
  }
}
