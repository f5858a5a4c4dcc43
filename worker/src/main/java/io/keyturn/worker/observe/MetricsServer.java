package io.keyturn.worker.observe;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;

/**
 * Serves the Prometheus text format at {@code /metrics} (and {@code /prometheus}) on one address,
 * the loopback one by default: metrics name secrets, so they are not for the open network.
 */
public final class MetricsServer implements AutoCloseable {
  private final HttpServer server;

  private MetricsServer(HttpServer server) {
    this.server = server;
  }

  /** Starts serving; port 0 picks a free port (see {@link #port()}). */
  public static MetricsServer start(String host, int port, Supplier<String> scrape)
      throws IOException {
    HttpServer s = HttpServer.create(new InetSocketAddress(host, port), 0);
    s.createContext(
        "/",
        ex -> {
          String path = ex.getRequestURI().getPath();
          byte[] body;
          int status;
          if (path.equals("/metrics") || path.equals("/prometheus")) {
            body = scrape.get().getBytes(StandardCharsets.UTF_8);
            status = 200;
            ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
          } else {
            body = "not found: try /metrics\n".getBytes(StandardCharsets.UTF_8);
            status = 404;
          }
          ex.sendResponseHeaders(status, body.length);
          try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
          }
        });
    s.start();
    return new MetricsServer(s);
  }

  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
