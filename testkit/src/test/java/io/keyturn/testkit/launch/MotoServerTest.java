package io.keyturn.testkit.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

/** The real moto server: it starts on loopback, speaks Secrets Manager's JSON protocol, stops. */
class MotoServerTest {

  static final HttpClient HTTP = HttpClient.newHttpClient();

  private static HttpResponse<String> secretsManager(MotoServer moto, String action, String body)
      throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(moto.address() + "/"))
            .header("Content-Type", "application/x-amz-json-1.1")
            .header("X-Amz-Target", "secretsmanager." + action)
            // moto checks only that a SigV4 header names a region; it does not verify signatures.
            .header(
                "Authorization",
                "AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/secretsmanager/aws4_request,"
                    + " SignedHeaders=host, Signature=0")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesSecretsManagerOnLoopbackForgetsOnResetAndStops() throws Exception {
    int port;
    try (MotoServer moto = MotoServer.builder().build().start()) {
      port = moto.port();
      assertThat(moto.address()).isEqualTo("http://127.0.0.1:" + port);
      HttpResponse<String> created =
          secretsManager(
              moto, "CreateSecret", "{\"Name\":\"launcher-test\",\"SecretString\":\"x\"}");
      assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
      assertThat(
              secretsManager(moto, "DescribeSecret", "{\"SecretId\":\"launcher-test\"}")
                  .statusCode())
          .isEqualTo(200);

      moto.reset();
      HttpResponse<String> gone =
          secretsManager(moto, "DescribeSecret", "{\"SecretId\":\"launcher-test\"}");
      // moto answers 404 here where AWS answers 400; the error type is the same.
      assertThat(gone.statusCode()).isGreaterThanOrEqualTo(400);
      assertThat(gone.body()).contains("ResourceNotFoundException");
    }
    assertThat(FreePorts.isListening(port)).isFalse();
  }
}
