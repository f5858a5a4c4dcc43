package io.keyturn.testkit.azure;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A test double of Azure App Service's managed-identity endpoint, so a worker process gets a Key
 * Vault token from the Azure default credential chain: give it {@code IDENTITY_ENDPOINT} = {@link
 * #endpoint()} and {@code IDENTITY_HEADER} = {@link #header()}. Answers {@code GET
 * ?api-version=2019-08-01&resource=...} carrying {@code X-IDENTITY-HEADER} with the documented JSON
 * ({@code access_token}, {@code expires_on} in epoch seconds, {@code resource}, {@code
 * token_type}); a request without the header gets 401. Plain HTTP on loopback, as App Service's own
 * endpoint is local to the host.
 */
public final class AppServiceIdentityFake implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final String token;
  private final String header;
  private HttpServer server;

  /** Hands out {@code token} to callers presenting {@code header}. */
  public AppServiceIdentityFake(String token, String header) {
    this.token = Objects.requireNonNull(token, "token");
    this.header = Objects.requireNonNull(header, "header");
  }

  public AppServiceIdentityFake start() throws IOException {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/msi/token", this::handle);
    server.start();
    return this;
  }

  /** The value for {@code IDENTITY_ENDPOINT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/msi/token";
  }

  /** The value for {@code IDENTITY_HEADER}. */
  public String header() {
    return header;
  }

  private void handle(HttpExchange ex) throws IOException {
    String query = String.valueOf(ex.getRequestURI().getQuery());
    int status;
    Object body;
    if (!header.equals(ex.getRequestHeaders().getFirst("X-IDENTITY-HEADER"))) {
      status = 401;
      body = Map.of("error", Map.of("code", "Unauthorized", "message", "X-IDENTITY-HEADER"));
    } else if (!query.contains("resource=")) {
      status = 400;
      body = Map.of("error", Map.of("code", "BadRequest", "message", "resource is required"));
    } else {
      String resource = query.replaceFirst(".*resource=([^&]*).*", "$1");
      status = 200;
      body =
          Map.of(
              "access_token",
              token,
              "expires_on",
              String.valueOf(Instant.now().getEpochSecond() + 3600),
              "resource",
              java.net.URLDecoder.decode(resource, java.nio.charset.StandardCharsets.UTF_8),
              "token_type",
              "Bearer");
    }
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
    }
  }
}
