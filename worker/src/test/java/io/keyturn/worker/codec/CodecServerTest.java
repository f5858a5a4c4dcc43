package io.keyturn.worker.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.util.JsonFormat;
import io.keyturn.worker.config.CodecSettings;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.model.KeyRef;
import io.micronaut.context.ApplicationContext;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.converter.DefaultDataConverter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The codec endpoint over real HTTP: the protocol, the bearer token, CORS and where it binds. */
class CodecServerTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final String UI = "http://ui.test:8233";
  static final String TOKEN = "codec-token-" + PayloadKeys.generateBase64().substring(0, 12);
  static final PayloadKeys SECRET = PayloadKeys.parse(PayloadKeys.generateBase64());
  static final DataConverter CONVERTER = KeyturnPayloadCodec.dataConverter(SECRET);
  static final KeyRef REF = KeyMaterial.ref("sk-codec-endpoint-test-key-1234");

  @TempDir Path dir;
  CodecServer server;
  String token = TOKEN;

  @BeforeEach
  void start() throws Exception {
    server =
        CodecServer.start("127.0.0.1", 0, KeyturnPayloadCodec.of(SECRET), () -> token, Set.of(UI));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  HttpResponse<String> post(String path, String body, Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .header("Content-Type", "application/json")
            .header("X-Namespace", "default")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    headers.forEach(b::header);
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> post(String path, String body) throws Exception {
    return post(path, body, Map.of("Authorization", "Bearer " + TOKEN));
  }

  static String json(Payload... payloads) throws Exception {
    return JsonFormat.printer().print(Payloads.newBuilder().addAllPayloads(List.of(payloads)));
  }

  static List<Payload> payloads(String json) throws Exception {
    Payloads.Builder b = Payloads.newBuilder();
    JsonFormat.parser().merge(json, b);
    return b.getPayloadsList();
  }

  @Test
  void decodeTurnsAnEncryptedPayloadBackIntoItsJson() throws Exception {
    Payload encrypted = CONVERTER.toPayload(REF).orElseThrow();
    assertThat(encrypted.getData().toStringUtf8()).doesNotContain(REF.tokenHash());

    HttpResponse<String> r = post("/decode", json(encrypted));

    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> t.contains("json"));
    Payload plain = payloads(r.body()).get(0);
    assertThat(plain.getMetadataMap().get("encoding").toStringUtf8()).isEqualTo("json/plain");
    assertThat(plain.getData().toStringUtf8()).contains(REF.tokenHash()).contains(REF.keyName());
    assertThat(
            DefaultDataConverter.STANDARD_INSTANCE.fromPayload(plain, KeyRef.class, KeyRef.class))
        .isEqualTo(REF);
  }

  @Test
  void encodeEncryptsAndDecodeOfItsOutputRoundTrips() throws Exception {
    Payload plain = DefaultDataConverter.STANDARD_INSTANCE.toPayload(REF).orElseThrow();
    Payload plain2 = DefaultDataConverter.STANDARD_INSTANCE.toPayload("second").orElseThrow();

    HttpResponse<String> enc = post("/encode", json(plain, plain2));
    assertThat(enc.statusCode()).as(enc.body()).isEqualTo(200);
    List<Payload> encrypted = payloads(enc.body());
    assertThat(encrypted).hasSize(2).allMatch(KeyturnPayloadCodec::isEncrypted);
    assertThat(enc.body()).doesNotContain(REF.tokenHash());
    assertThat(KeyturnPayloadCodec.of(SECRET).decode(encrypted)).containsExactly(plain, plain2);

    HttpResponse<String> dec = post("/decode", enc.body());
    assertThat(dec.statusCode()).isEqualTo(200);
    assertThat(payloads(dec.body())).containsExactly(plain, plain2);
  }

  @Test
  void plainPayloadsDecodeToThemselves() throws Exception {
    Payload plain = DefaultDataConverter.STANDARD_INSTANCE.toPayload(REF).orElseThrow();
    HttpResponse<String> r = post("/decode", json(plain));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(payloads(r.body())).containsExactly(plain);
  }

  @Test
  void withATokenSetEveryCallWithoutTheRightBearerGets401() throws Exception {
    String body = json(CONVERTER.toPayload(REF).orElseThrow());
    for (Map<String, String> headers :
        List.of(
            Map.<String, String>of(),
            Map.of("Authorization", "Bearer wrong-" + TOKEN),
            Map.of("Authorization", "Bearer " + TOKEN.substring(0, TOKEN.length() - 1)),
            Map.of("Authorization", "Basic " + TOKEN),
            Map.of("Authorization", TOKEN))) {
      for (String path : List.of("/decode", "/encode")) {
        HttpResponse<String> r = post(path, body, headers);
        assertThat(r.statusCode()).as(path + " with " + headers.keySet()).isEqualTo(401);
        assertThat(r.body()).doesNotContain(REF.tokenHash()).doesNotContain(TOKEN);
        assertThat(r.headers().firstValue("WWW-Authenticate"))
            .hasValueSatisfying(v -> v.startsWith("Bearer"));
      }
    }
    // Positive control: the same request with the token passes.
    assertThat(post("/decode", body).statusCode()).isEqualTo(200);
  }

  @Test
  void aTokenFromAFileIsReadPerRequestSoItCanBeRotated() throws Exception {
    Path f = dir.resolve("codec.token");
    Files.writeString(f, "first-token\n");
    CodecSettings s = new CodecSettings("127.0.0.1", 0, "", f.toString(), UI);
    assertThat(s.problems()).isEmpty();
    server.close();
    server =
        CodecServer.start(
            "127.0.0.1", 0, KeyturnPayloadCodec.of(SECRET), s.tokenSource(), Set.of(UI));
    String body = json(CONVERTER.toPayload(REF).orElseThrow());

    assertThat(post("/decode", body, Map.of("Authorization", "Bearer first-token")).statusCode())
        .isEqualTo(200);
    Files.writeString(f, "second-token");
    assertThat(post("/decode", body, Map.of("Authorization", "Bearer first-token")).statusCode())
        .isEqualTo(401);
    assertThat(post("/decode", body, Map.of("Authorization", "Bearer second-token")).statusCode())
        .isEqualTo(200);
  }

  @Test
  void withoutATokenCallsPass() throws Exception {
    token = null;
    HttpResponse<String> r =
        post("/decode", json(CONVERTER.toPayload(REF).orElseThrow()), Map.of());
    assertThat(r.statusCode()).isEqualTo(200);
  }

  @Test
  void thePreflightOfTheUiOriginIsAnsweredWithItsOriginAndTheProtocolsHeaders() throws Exception {
    HttpResponse<String> r = preflight(UI);

    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains(UI);
    assertThat(r.headers().firstValue("Access-Control-Allow-Credentials")).contains("true");
    assertThat(r.headers().firstValue("Access-Control-Allow-Methods").orElse("")).contains("POST");
    assertThat(r.headers().firstValue("Access-Control-Allow-Headers").orElse("").toLowerCase())
        .contains("content-type")
        .contains("x-namespace")
        .contains("authorization");
    // The actual call from that origin carries the header too.
    HttpResponse<String> call =
        post(
            "/decode",
            json(CONVERTER.toPayload(REF).orElseThrow()),
            Map.of("Authorization", "Bearer " + TOKEN, "Origin", UI));
    assertThat(call.headers().firstValue("Access-Control-Allow-Origin")).contains(UI);
  }

  @Test
  void anotherOriginGetsNoAllowOriginHeader() throws Exception {
    for (String origin : List.of("http://evil.test", "http://ui.test:8234", "null")) {
      HttpResponse<String> r = preflight(origin);
      assertThat(r.statusCode()).as(origin).isEqualTo(403);
      assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).as(origin).isEmpty();
      HttpResponse<String> call =
          post(
              "/decode",
              json(CONVERTER.toPayload(REF).orElseThrow()),
              Map.of("Authorization", "Bearer " + TOKEN, "Origin", origin));
      assertThat(call.headers().firstValue("Access-Control-Allow-Origin")).as(origin).isEmpty();
    }
  }

  private HttpResponse<String> preflight(String origin) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/decode"))
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "content-type,x-namespace,authorization")
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aPayloadOfAnotherSecretIsA400NamingBothKeyIdsAndNothingOfThePayload() throws Exception {
    PayloadKeys other = PayloadKeys.parse(PayloadKeys.generateBase64());
    Payload foreign = KeyturnPayloadCodec.dataConverter(other).toPayload(REF).orElseThrow();

    HttpResponse<String> r = post("/decode", json(foreign));

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body())
        .contains(other.currentId())
        .contains(SECRET.currentId())
        .contains("KEYTURN_PAYLOAD_KEY")
        .doesNotContain(REF.tokenHash());
  }

  @Test
  void aBodyThatIsNotPayloadsIsA400ThatDoesNotEchoIt() throws Exception {
    HttpResponse<String> r = post("/decode", "{\"payloads\": \"sk-not-echoed-value\"");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body())
        .contains("temporal.api.common.v1.Payloads")
        .doesNotContain("sk-not-echoed");
  }

  @Test
  void otherPathsAndMethodsAreRefused() throws Exception {
    assertThat(post("/metrics", "{}").statusCode()).isEqualTo(404);
    HttpResponse<String> get =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/decode"))
                .header("Authorization", "Bearer " + TOKEN)
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
  }

  @Test
  void byDefaultItListensOnLoopbackPort8089ForTheDevServersUi() throws Exception {
    try (ApplicationContext ctx =
        ApplicationContext.builder()
            .properties(Map.of("keyturn.worker.enabled", "false"))
            .start()) {
      CodecSettings s = ctx.getBean(CodecSettings.class);
      if (System.getenv("KEYTURN_CODEC_HOST") == null) {
        assertThat(s.host()).isEqualTo("127.0.0.1");
        assertThat(s.loopback()).isTrue();
      }
      if (System.getenv("KEYTURN_CODEC_PORT") == null) {
        assertThat(s.port()).isEqualTo(8089);
      }
      if (System.getenv("KEYTURN_CODEC_CORS_ORIGINS") == null) {
        assertThat(s.allowedOrigins())
            .containsExactly("http://127.0.0.1:8233", "http://localhost:8233");
      }
      assertThat(s.problems()).isEmpty();
    }
    // And the server binds exactly the host it is given: not reachable on another interface.
    assertThat(server.host()).isEqualTo("127.0.0.1");
    InetAddress external = nonLoopbackAddress();
    if (external != null) {
      assertThatThrownBy(
              () -> {
                try (Socket sock = new Socket()) {
                  sock.connect(new InetSocketAddress(external, server.port()), 2000);
                }
              })
          .as("connect to " + external.getHostAddress() + ":" + server.port())
          .isInstanceOf(java.io.IOException.class);
    }
  }

  private static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      for (InetAddress a : Collections.list(ni.getInetAddresses())) {
        if (ni.isUp() && !a.isLoopbackAddress() && a instanceof java.net.Inet4Address) {
          return a;
        }
      }
    }
    return null;
  }

  @Test
  void settingsNameTheirProblems() {
    assertThat(new CodecSettings("127.0.0.1", 8089, "t", "/x", UI).problems())
        .singleElement()
        .asString()
        .contains("both set")
        .doesNotContain("=t");
    assertThat(new CodecSettings("127.0.0.1", 70000, "", "", UI).problems())
        .singleElement()
        .asString()
        .contains("KEYTURN_CODEC_PORT");
    for (String bad : List.of("*", "ui.test:8233", "http://ui.test/path", "ftp://ui.test")) {
      assertThat(new CodecSettings("127.0.0.1", 8089, "", "", bad).problems())
          .as(bad)
          .singleElement()
          .asString()
          .contains("KEYTURN_CODEC_CORS_ORIGINS");
    }
    assertThat(new CodecSettings("0.0.0.0", 8089, "", "", UI + "/, http://b.test").allowedOrigins())
        .containsExactly(UI, "http://b.test");
    assertThat(new CodecSettings("0.0.0.0", 8089, "", "", UI).loopback()).isFalse();
  }
}
