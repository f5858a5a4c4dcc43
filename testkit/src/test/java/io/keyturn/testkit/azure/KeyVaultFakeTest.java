package io.keyturn.testkit.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fake's answers against what Microsoft's Key Vault REST reference documents for the calls the
 * azure-keyvault store makes (api-version 7.6): shapes of bundles, ids, the auth challenge, and the
 * 401/403/404/409 error bodies ({@code {"error": {"code", "message", "innererror"}}}).
 */
class KeyVaultFakeTest {
  static final String VAULT = "https://fake.vault.azure.net";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static KeyVaultFake fake;

  @BeforeAll
  static void start() throws Exception {
    fake =
        new KeyVaultFake(VAULT)
            .grant("rw", KeyVaultFake.Access.READ_WRITE)
            .grant("ro", KeyVaultFake.Access.READ_ONLY)
            .start();
  }

  @AfterAll
  static void stop() {
    fake.close();
  }

  record Answer(int status, JsonNode body, HttpResponse<String> raw) {}

  static Answer call(String method, String path, String token, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(
                URI.create(
                    fake.address() + path + (path.contains("?") ? "&" : "?") + "api-version=7.6"))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .header("Content-Type", "application/json");
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    return new Answer(r.statusCode(), r.body().isEmpty() ? null : JSON.readTree(r.body()), r);
  }

  @Test
  void aRequestWithoutATokenGetsTheBearerChallenge() throws Exception {
    Answer a = call("GET", "/secrets/x/", null, null);
    assertThat(a.status()).isEqualTo(401);
    assertThat(a.raw().headers().firstValue("WWW-Authenticate"))
        .hasValueSatisfying(
            h ->
                assertThat(h)
                    .startsWith("Bearer authorization=\"https://login.microsoftonline.com/")
                    .contains("resource=\"https://vault.azure.net\""));
    assertThat(call("GET", "/secrets/x/", "unknown", null).status()).isEqualTo(401);
  }

  @Test
  void setThenGetGivesTheSecretBundleWithItsVersionedId() throws Exception {
    Answer set =
        call(
            "PUT",
            "/secrets/Conf-1",
            "rw",
            "{\"value\":\"v1\",\"contentType\":\"text/plain\",\"tags\":{\"a\":\"b\"}}");
    assertThat(set.status()).isEqualTo(200);
    String id = set.body().get("id").asText();
    assertThat(id).matches(VAULT + "/secrets/Conf-1/[0-9a-f]{32}");
    assertThat(set.body().get("attributes").get("enabled").asBoolean()).isTrue();
    assertThat(set.body().get("attributes").get("recoveryLevel").asText())
        .isEqualTo("Recoverable+Purgeable");

    // Names are case-insensitive; a GET without a version is the newest one.
    Answer get = call("GET", "/secrets/conf-1/", "rw", null);
    assertThat(get.body().get("value").asText()).isEqualTo("v1");
    assertThat(get.body().get("id").asText()).isEqualTo(id);
    assertThat(get.body().get("tags").get("a").asText()).isEqualTo("b");

    call("PUT", "/secrets/Conf-1", "rw", "{\"value\":\"v2\"}");
    Answer versions = call("GET", "/secrets/Conf-1/versions", "rw", null);
    assertThat(versions.body().get("value")).hasSize(2);
    assertThat(versions.body().get("value").get(0).has("value")).isFalse();
    assertThat(call("GET", id.substring(VAULT.length()), "rw", null).body().get("value").asText())
        .isEqualTo("v1");
  }

  @Test
  void aDisabledVersionCannotBeRead() throws Exception {
    String id = call("PUT", "/secrets/conf-2", "rw", "{\"value\":\"v\"}").body().get("id").asText();
    Answer patched =
        call("PATCH", id.substring(VAULT.length()), "rw", "{\"attributes\":{\"enabled\":false}}");
    assertThat(patched.status()).isEqualTo(200);
    assertThat(patched.body().has("value")).isFalse();

    Answer get = call("GET", "/secrets/conf-2/", "rw", null);
    assertThat(get.status()).isEqualTo(403);
    assertThat(get.body().at("/error/code").asText()).isEqualTo("Forbidden");
    assertThat(get.body().at("/error/innererror/code").asText()).isEqualTo("SecretDisabled");
  }

  @Test
  void softDeleteHidesTheNameAndBlocksItsReuseUntilRecovered() throws Exception {
    call("PUT", "/secrets/conf-3", "rw", "{\"value\":\"v\"}");
    Answer deleted = call("DELETE", "/secrets/conf-3", "rw", null);
    assertThat(deleted.status()).isEqualTo(200);
    assertThat(deleted.body().get("recoveryId").asText())
        .isEqualTo(VAULT + "/deletedsecrets/conf-3");
    assertThat(deleted.body().has("deletedDate")).isTrue();
    assertThat(deleted.body().has("scheduledPurgeDate")).isTrue();

    Answer get = call("GET", "/secrets/conf-3/", "rw", null);
    assertThat(get.status()).isEqualTo(404);
    assertThat(get.body().at("/error/code").asText()).isEqualTo("SecretNotFound");
    Answer reuse = call("PUT", "/secrets/conf-3", "rw", "{\"value\":\"w\"}");
    assertThat(reuse.status()).isEqualTo(409);
    assertThat(reuse.body().at("/error/innererror/code").asText())
        .isEqualTo("ObjectIsDeletedButRecoverable");
    assertThat(call("DELETE", "/secrets/conf-3", "rw", null).status()).isEqualTo(404);
    assertThat(call("GET", "/deletedsecrets/conf-3", "rw", null).status()).isEqualTo(200);

    assertThat(call("POST", "/deletedsecrets/conf-3/recover", "rw", null).status()).isEqualTo(200);
    assertThat(call("GET", "/secrets/conf-3/", "rw", null).body().get("value").asText())
        .isEqualTo("v");

    call("DELETE", "/secrets/conf-3", "rw", null);
    assertThat(call("DELETE", "/deletedsecrets/conf-3", "rw", null).status()).isEqualTo(204);
    assertThat(call("PUT", "/secrets/conf-3", "rw", "{\"value\":\"w\"}").status()).isEqualTo(200);
  }

  @Test
  void aReadOnlyIdentityIsDeniedWritesAndBadNamesAreRefused() throws Exception {
    Answer denied = call("PUT", "/secrets/conf-4", "ro", "{\"value\":\"v\"}");
    assertThat(denied.status()).isEqualTo(403);
    assertThat(denied.body().at("/error/innererror/code").asText()).isEqualTo("AccessDenied");
    assertThat(denied.body().at("/error/message").asText()).contains("does not have secrets set");
    assertThat(call("GET", "/secrets/conf-4/", "ro", null).status()).isEqualTo(404);

    Answer bad = call("PUT", "/secrets/has_underscore", "rw", "{\"value\":\"v\"}");
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.body().at("/error/code").asText()).isEqualTo("BadParameter");
  }
}
