package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.launch.OpenBaoDevServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Optional;

/** The keys a rotation published to OpenBao's KV v2 ({@code <mount>/litellm/<name>}), read back. */
final class VaultKeys {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private VaultKeys() {}

  /** The key at {@code secret/litellm/<name>}, which must be there. */
  static String of(OpenBaoDevServer bao, String name) throws Exception {
    return of(bao, "secret", name);
  }

  /** The key at {@code <mount>/litellm/<name>}, which must be there. */
  static String of(OpenBaoDevServer bao, String mount, String name) throws Exception {
    return read(bao, mount, name)
        .orElseThrow(() -> new AssertionError("Vault holds no " + mount + "/litellm/" + name));
  }

  /** The key at {@code <mount>/litellm/<name>}, or empty if there is none. */
  static Optional<String> read(OpenBaoDevServer bao, String mount, String name) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(
                    URI.create(bao.address() + "/v1/" + mount + "/data/litellm/" + name))
                .header("X-Vault-Token", bao.rootToken())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() == 404) {
      return Optional.empty();
    }
    assertThat(r.statusCode()).as("Vault read of litellm/" + name + " at " + mount).isEqualTo(200);
    return Optional.of(JSON.readTree(r.body()).path("data").path("data").path("key").asText());
  }
}
