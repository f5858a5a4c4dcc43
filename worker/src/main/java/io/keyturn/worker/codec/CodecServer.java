package io.keyturn.worker.codec;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.temporal.api.common.v1.Payload;
import io.temporal.api.common.v1.Payloads;
import io.temporal.payload.codec.PayloadCodec;
import io.temporal.payload.codec.PayloadCodecException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Temporal's remote codec protocol, so the Temporal UI (and {@code temporal --codec-endpoint}) can
 * show the payloads the worker encrypted: {@code POST /decode} and {@code POST /encode} take and
 * return the proto3 JSON of {@code temporal.api.common.v1.Payloads}, {@code
 * {"payloads":[{"metadata":{"encoding":"<base64>"},"data":"<base64>"}]}}. The UI sends the
 * namespace in {@code X-Namespace}.
 *
 * <p>Browsers call it from the UI's origin, so it answers CORS preflights, and names an origin in
 * {@code Access-Control-Allow-Origin} only when it is one of the configured UI origins. With a
 * token set, every encode and decode needs {@code Authorization: Bearer <token>} (compared in
 * constant time); without one the endpoint is open to whoever can reach its address, which is why
 * it binds the loopback address by default. Payload contents are never logged.
 */
public final class CodecServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CodecServer.class);

  /** Larger bodies are refused: Temporal's own payload limits are a few MB. */
  static final int MAX_BODY_BYTES = 16 * 1024 * 1024;

  static final String ALLOWED_METHODS = "POST, OPTIONS";
  static final String ALLOWED_HEADERS = "content-type, x-namespace, authorization";

  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();

  private final HttpServer server;
  private final ExecutorService executor;

  private CodecServer(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Starts serving; port 0 picks a free port (see {@link #port()}).
   *
   * @param token the bearer token to require, read per request; a null or blank value means none
   * @param allowedOrigins the browser origins that get CORS headers, e.g. {@code
   *     http://127.0.0.1:8233}
   */
  public static CodecServer start(
      String host, int port, PayloadCodec codec, Supplier<String> token, Set<String> allowedOrigins)
      throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 0);
    Handler handler = new Handler(codec, token, Set.copyOf(allowedOrigins));
    s.createContext("/", handler::handle);
    ExecutorService executor =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "keyturn-codec-endpoint");
              t.setDaemon(true);
              return t;
            });
    s.setExecutor(executor);
    s.start();
    return new CodecServer(s, executor);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  public String host() {
    return server.getAddress().getHostString();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }

  private record Handler(PayloadCodec codec, Supplier<String> token, Set<String> origins) {

    void handle(HttpExchange ex) throws IOException {
      try {
        serve(ex);
      } catch (RuntimeException e) {
        // Nothing here carries payload data: codec and parser messages are written not to.
        log.warn("codec endpoint: {} failed: {}", ex.getRequestURI().getPath(), e.toString());
        send(ex, 500, "text/plain", "internal error: see the worker log\n");
      } finally {
        ex.close();
      }
    }

    private void serve(HttpExchange ex) throws IOException {
      String path = ex.getRequestURI().getPath();
      String method = ex.getRequestMethod();
      String origin = ex.getRequestHeaders().getFirst("Origin");
      boolean allowedOrigin = origin != null && origins.contains(origin);
      Headers out = ex.getResponseHeaders();
      out.add("Vary", "Origin");
      if (allowedOrigin) {
        out.set("Access-Control-Allow-Origin", origin);
        // The UI may send cookies or its user's token (includeCredentials / passAccessToken).
        out.set("Access-Control-Allow-Credentials", "true");
      }
      boolean known = path.equals("/encode") || path.equals("/decode");
      if (method.equals("OPTIONS")) {
        if (!allowedOrigin) {
          log.debug("codec endpoint: preflight from an origin not in KEYTURN_CODEC_CORS_ORIGINS");
          send(ex, 403, "text/plain", "origin not allowed: add it to KEYTURN_CODEC_CORS_ORIGINS\n");
          return;
        }
        out.set("Access-Control-Allow-Methods", ALLOWED_METHODS);
        out.set("Access-Control-Allow-Headers", ALLOWED_HEADERS);
        out.set("Access-Control-Max-Age", "600");
        ex.sendResponseHeaders(204, -1);
        return;
      }
      if (!known) {
        send(ex, 404, "text/plain", "not found: POST /encode or /decode\n");
        return;
      }
      if (!method.equals("POST")) {
        out.set("Allow", ALLOWED_METHODS);
        send(ex, 405, "text/plain", "method not allowed: POST " + path + "\n");
        return;
      }
      if (!authorized(ex.getRequestHeaders().getFirst("Authorization"))) {
        out.set("WWW-Authenticate", "Bearer realm=\"keyturn-codec\"");
        send(
            ex,
            401,
            "text/plain",
            "unauthorized: send Authorization: Bearer <KEYTURN_CODEC_TOKEN>\n");
        return;
      }
      byte[] body;
      try (InputStream in = ex.getRequestBody()) {
        body = in.readNBytes(MAX_BODY_BYTES + 1);
      }
      if (body.length > MAX_BODY_BYTES) {
        send(ex, 413, "text/plain", "body larger than " + MAX_BODY_BYTES + " bytes\n");
        return;
      }
      Payloads.Builder in = Payloads.newBuilder();
      try {
        PARSER.merge(new String(body, StandardCharsets.UTF_8), in);
      } catch (InvalidProtocolBufferException | RuntimeException e) {
        // The parser's message may quote the body: say what is expected instead.
        send(
            ex,
            400,
            "text/plain",
            "body is not the JSON of temporal.api.common.v1.Payloads:"
                + " {\"payloads\":[{\"metadata\":{...},\"data\":\"<base64>\"}]}\n");
        return;
      }
      List<Payload> result;
      try {
        result =
            path.equals("/decode")
                ? codec.decode(in.getPayloadsList())
                : codec.encode(in.getPayloadsList());
      } catch (PayloadCodecException e) {
        // The codec's messages name key ids and what to do, never payload data.
        send(ex, 400, "text/plain", e.getMessage() + "\n");
        return;
      }
      log.debug(
          "codec endpoint: {} {} payloads for namespace {}",
          path,
          result.size(),
          ex.getRequestHeaders().getFirst("X-Namespace"));
      send(
          ex,
          200,
          "application/json",
          PRINTER.print(Payloads.newBuilder().addAllPayloads(result).build()));
    }

    private boolean authorized(String header) {
      String expected = token.get();
      if (expected == null || expected.isBlank()) {
        return true;
      }
      String given =
          header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
              ? header.substring(7).strip()
              : "";
      // Digests first, so the comparison takes the same time whatever the lengths.
      return MessageDigest.isEqual(sha256(given), sha256(expected));
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void send(HttpExchange ex, int status, String type, String body)
      throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type + "; charset=utf-8");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream o = ex.getResponseBody()) {
      o.write(bytes);
    }
  }
}
