package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;

/**
 * Conformance, must-haves 16-17: error envelopes ({@code ProxyException} in {@code
 * litellm/proxy/_types.py}, {@code handle_exception_on_proxy} in {@code litellm/proxy/utils.py} of
 * BerriAI/litellm), validation, malformed durations ({@code duration_in_seconds} in {@code
 * litellm/litellm_core_utils/duration_parser.py}), and the absence of management rate limits plus
 * the emulator's fault injection.
 */
class LiteLlmConformanceErrorsFaultsTest extends LiteLlmConformanceBase {

  // ------------------------------------------------------------------ must-have 16

  @ConformanceCase
  @DisplayName("must-have 16: shape A everywhere: code is the status as a string, param None/null")
  void envelopeCodeIsString(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh16-env");
    List<Resp> errors = new ArrayList<>();
    errors.add(p.send("GET", "/key/list", Map.of(), null)); // 401
    errors.add(p.get("/v1/models", unknownRawKey())); // 401
    errors.add(p.info(unknownRawKey())); // 404
    errors.add(p.generate(body("key_alias", k.alias()))); // 400
    errors.add(p.post("/key/delete", p.master, Map.of("keys", List.of(unknownRawKey())))); // 404
    errors.add(p.post("/key/update", p.master, Map.of("key", unknownRawKey()))); // 401
    // /key/update of an unknown key: 404 in 1.106.12, 401 in 1.82.3.
    int[] expected = {401, 401, 404, 400, 404, older(p) ? 401 : 404};
    for (int i = 0; i < errors.size(); i++) {
      Resp r = errors.get(i);
      assertShapeA(r, expected[i], null);
      JsonNode code = r.error().path("code");
      assertThat(code.isTextual()).as("code is a JSON string in %s", r).isTrue();
    }
    assertDefaultParam(errors.get(0));
    assertDefaultParam(errors.get(4));
  }

  @ConformanceCase
  @DisplayName("must-have 16: the emulator's nullParam switch renders param as JSON null")
  void nullParamSwitch(Target target) {
    Proxy p = openEmulator(target, "the nullParam builder switch", b -> b.nullParam(true));
    Resp r = p.send("GET", "/key/list", Map.of(), null);
    assertShapeA(r, 401, "auth_error");
    assertThat(r.error().path("param").isNull()).as("param null in %s", r).isTrue();
    Resp b = p.post("/key/delete", p.master, Map.of("keys", List.of(unknownRawKey())));
    assertShapeB(b, 404, "No keys found");
    assertThat(b.error().path("param").isNull()).isTrue();
    // An explicit param is still sent.
    assertThat(p.info(unknownRawKey()).error().path("param").asText()).isEqualTo("key");
  }

  @ConformanceCase
  @DisplayName("must-have 16: shape B carries the Python repr of the detail dict")
  void shapeBIsPythonRepr(Target target) {
    Proxy p = open(target);
    Resp r = p.post("/key/delete", p.master, Map.of("keys", List.of(unknownRawKey())));
    assertShapeB(r, 404, "No keys found");
    assertThat(r.message()).contains("'error': ").doesNotContain("\"error\"");
  }

  @ConformanceCase
  @DisplayName("must-have 16: invalid bodies -> 422 FastAPI {detail: [{loc, msg, type}]}")
  void validationErrors(Target target) {
    Proxy p = open(target);
    JsonNode models =
        assertValidationError(p.post("/key/generate", p.master, Map.of("models", "not-a-list")));
    assertThat(texts(models.get(0).path("loc"))).containsExactly("body", "models");
    JsonNode keyType =
        assertValidationError(p.post("/key/generate", p.master, Map.of("key_type", "super_admin")));
    assertThat(texts(keyType.get(0).path("loc"))).containsExactly("body", "key_type");
    assertValidationError(p.post("/key/generate", p.master, "{not json"));
    assertValidationError(p.post("/key/delete", p.master, Map.of("keys", "not-a-list")));
  }

  @ConformanceCase
  @DisplayName(
      "must-have 16: a malformed duration -> 500 on generate, 400 auth_error on update, nothing"
          + " stored")
  void malformedDuration(Target target) {
    Proxy p = open(target);
    String alias = p.alias("mh16-dur");
    for (String bad : List.of("abc", "10x", "soon")) {
      Resp r = p.generate(body("key_alias", alias, "duration", bad));
      assertShapeA(r, 500, "internal_server_error");
      // "abc", "soon": "Invalid duration format"; "10x": "Unsupported duration unit, passed ..."
      assertThat(r.message())
          .contains(bad.equals("10x") ? "Unsupported duration unit" : "Invalid duration format");
    }
    assertThat(
            p.get("/key/list?key_alias=" + enc(alias), p.master).json().path("total_count").asInt())
        .isZero();
    Key k = p.newKey("mh16-dur-ok", "duration", "1mo");
    assertThat(k.generated().path("expires").isNull()).isFalse();
    Resp upd = p.post("/key/update", p.master, Map.of("key", k.hash(), "duration", "xyz"));
    assertShapeA(upd, 400, "auth_error");
    assertThat(upd.message()).contains("Invalid duration format");
  }

  // ------------------------------------------------------------------ must-have 17

  @ConformanceCase
  @DisplayName("must-have 17: management endpoints do not rate-limit (30 quick calls, no 429)")
  void noManagementRateLimit(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("mh17-burst");
    for (int i = 0; i < 30; i++) {
      Resp r = p.info(k.hash());
      assertThat(r.status()).as("call %d: %s", i, r).isEqualTo(200);
    }
  }

  @ConformanceCase
  @DisplayName("must-have 17: injected 429 carries retry-after and an error body with code \"429\"")
  void injected429(Target target) {
    Proxy p = openEmulator(target, "needs faults()", b -> {});
    Key k = p.newKey("mh17-429");
    p.emulator().faults().rateLimitNext("/key/info", 2, 7);
    for (int i = 0; i < 2; i++) {
      Resp r = p.info(k.hash());
      assertShapeA(r, 429, null);
      assertThat(r.headers().firstValue("retry-after")).hasValue("7");
    }
    assertThat(p.info(k.hash()).status()).isEqualTo(200);
    assertThat(p.get("/v1/models", k.raw()).status()).as("other routes untouched").isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 17: injected 500 and 503 bursts, then normal answers")
  void injectedBursts(Target target) {
    Proxy p = openEmulator(target, "needs faults()", b -> {});
    p.emulator().faults().failNext("/key/generate", 503, 2).failNext("/key/generate", 500, 1);
    String alias = p.alias("mh17-burst");
    assertShapeA(p.generate(body("key_alias", alias)), 503, null);
    assertShapeA(p.generate(body("key_alias", alias)), 503, null);
    assertShapeA(p.generate(body("key_alias", alias)), 500, null);
    assertThat(p.emulator().liveKeys()).as("faults write nothing").isEmpty();
    assertThat(p.generate(body("key_alias", alias)).status()).isEqualTo(200);
    p.emulator().faults().failNext("*", 502, 1);
    assertShapeA(p.get("/v1/models", p.master), 502, null);
    assertThat(p.get("/v1/models", p.master).status()).isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 17: an injected dropped connection surfaces as an IOException")
  void injectedDrop(Target target) throws IOException {
    Proxy p = openEmulator(target, "needs faults()", b -> {});
    p.emulator().faults().dropConnectionNext("/key/generate", 1);
    HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    assertThatThrownBy(
            () ->
                p.sendOrThrow(
                    fresh,
                    "POST",
                    "/key/generate",
                    bearerHeader(p.master),
                    Map.of("key_alias", p.alias("mh17-drop"))))
        .isInstanceOf(IOException.class);
    assertThat(p.emulator().liveKeys()).isEmpty();
    assertThat(p.sendOrThrow(fresh, "GET", "/v1/models", bearerHeader(p.master), null).status())
        .isEqualTo(200);
  }

  @ConformanceCase
  @DisplayName("must-have 17: an injected lost reply creates the key, then drops the connection")
  void injectedLostReply(Target target) {
    Proxy p = openEmulator(target, "needs faults()", b -> {});
    p.emulator().faults().dropReplyNext("/key/generate", 1);
    HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String alias = p.alias("mh17-lost-reply");
    assertThatThrownBy(
            () ->
                p.sendOrThrow(
                    fresh,
                    "POST",
                    "/key/generate",
                    bearerHeader(p.master),
                    Map.of("key_alias", alias)))
        .isInstanceOf(IOException.class);
    // The proxy did the work: the key exists although its creator never heard of it.
    assertThat(p.emulator().liveKeys()).extracting(EmulatedKey::keyAlias).containsExactly(alias);
    assertThat(p.emulator().calls())
        .filteredOn(c -> "DROP_REPLY".equals(c.injected()))
        .singleElement()
        .satisfies(
            c -> {
              assertThat(c.route()).isEqualTo("/key/generate");
              assertThat(c.status()).isEqualTo(200);
              assertThat(c.at()).isNotNull();
            });
    // Only the next request was hit: a retry is answered (here: the alias is taken).
    assertThat(p.generate(body("key_alias", alias)).status()).isEqualTo(400);
  }

  @ConformanceCase
  @DisplayName("must-have 17: the management rate cap answers 429 retry-after 1 beyond N/s")
  void managementRateCap(Target target) {
    Proxy p = openEmulator(target, "needs faults().managementRateCap", b -> {});
    Key k = p.newKey("mh17-cap");
    p.emulator().faults().managementRateCap(2);
    int limited = 0;
    for (int i = 0; i < 10; i++) {
      Resp r = p.info(k.hash());
      if (r.status() == 429) {
        limited++;
        assertShapeA(r, 429, null);
        assertThat(r.headers().firstValue("retry-after")).hasValue("1");
      } else {
        assertThat(r.status()).isEqualTo(200);
      }
    }
    // 10 calls span at most three one-second windows of 2 calls each.
    assertThat(limited).isGreaterThanOrEqualTo(4);
    // Tests count the cap's 429s from the call log (FleetEndToEndTest proves throttling so).
    assertThat(p.emulator().calls().stream().filter(c -> "CAP".equals(c.injected())))
        .hasSize(limited)
        .allMatch(c -> c.status() == 429 && c.route().equals("/key/info"));
    for (int i = 0; i < 10; i++) {
      assertThat(p.get("/v1/models", k.raw()).status()).as("not a management route").isEqualTo(200);
    }
    p.emulator().faults().managementRateCap(0);
    for (int i = 0; i < 10; i++) {
      assertThat(p.info(k.hash()).status()).isEqualTo(200);
    }
  }

  @ConformanceCase
  @DisplayName("must-have 17: injected latency delays the answer")
  void injectedLatency(Target target) {
    Proxy p = openEmulator(target, "needs faults().latency", b -> {});
    p.emulator().faults().latency("/health/liveliness", Duration.ofMillis(300));
    long start = System.nanoTime();
    assertThat(p.send("GET", "/health/liveliness", Map.of(), null).status()).isEqualTo(200);
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .isGreaterThanOrEqualTo(Duration.ofMillis(300));
  }
}
