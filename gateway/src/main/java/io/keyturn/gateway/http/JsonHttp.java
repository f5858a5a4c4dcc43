package io.keyturn.gateway.http;

import io.micronaut.core.type.Argument;
import io.micronaut.http.HttpRequest;
import io.micronaut.http.HttpResponse;
import io.micronaut.http.MediaType;
import io.micronaut.http.MutableHttpRequest;
import io.micronaut.http.client.DefaultHttpClientConfiguration;
import io.micronaut.http.client.HttpClient;
import io.micronaut.http.client.exceptions.HttpClientResponseException;
import java.io.Closeable;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A small JSON-over-HTTP helper on Micronaut's HTTP client: one pooled client per base URL, bodies
 * as strings (the callers own JSON mapping), and every status returned as a {@link Reply} rather
 * than thrown, so callers classify errors themselves. Transport failures (refused, reset, timed
 * out) surface as {@link TransportException}. Nothing here logs request or response bodies.
 */
public final class JsonHttp implements Closeable {

  /** A response: status, body text (may be empty) and the headers callers care about. */
  public record Reply(int status, String body, String retryAfter) {
    public boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  /** The request never got an HTTP answer. */
  public static final class TransportException extends RuntimeException {
    public TransportException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final Duration timeout;
  private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

  public JsonHttp(Duration timeout) {
    this.timeout = timeout;
  }

  /** Sends a request; {@code headers} carry auth (never logged); {@code jsonBody} may be null. */
  public Reply send(String method, String url, Map<String, String> headers, String jsonBody) {
    URI uri = URI.create(url);
    String base = uri.getScheme() + "://" + uri.getRawAuthority();
    String pathAndQuery =
        uri.getRawPath() + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    HttpClient client = clients.computeIfAbsent(base, this::newClient);
    MutableHttpRequest<?> req =
        switch (method) {
          case "GET" -> HttpRequest.GET(pathAndQuery);
          case "DELETE" -> HttpRequest.DELETE(pathAndQuery);
          case "POST" -> HttpRequest.POST(pathAndQuery, jsonBody == null ? "{}" : jsonBody);
          case "PUT" -> HttpRequest.PUT(pathAndQuery, jsonBody == null ? "{}" : jsonBody);
          default -> throw new IllegalArgumentException("unsupported method " + method);
        };
    req.accept(MediaType.APPLICATION_JSON_TYPE);
    if (jsonBody != null) {
      req.contentType(MediaType.APPLICATION_JSON_TYPE);
    }
    headers.forEach(req::header);
    try {
      HttpResponse<String> resp =
          client.toBlocking().exchange(req, Argument.STRING, Argument.STRING);
      return new Reply(
          resp.code(), resp.getBody(String.class).orElse(""), resp.getHeaders().get("Retry-After"));
    } catch (HttpClientResponseException e) {
      HttpResponse<?> resp = e.getResponse();
      return new Reply(
          resp.code(), resp.getBody(String.class).orElse(""), resp.getHeaders().get("Retry-After"));
    } catch (RuntimeException e) {
      // Connection refused, reset, read timeout: no HTTP answer. The message names the host only.
      throw new TransportException(
          method + " " + base + uri.getRawPath() + " got no answer: " + describe(e), e);
    }
  }

  private static String describe(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage();
    return c.getClass().getSimpleName() + (m == null ? "" : " (" + m + ")");
  }

  private HttpClient newClient(String base) {
    DefaultHttpClientConfiguration cfg = new DefaultHttpClientConfiguration();
    cfg.setReadTimeout(timeout);
    cfg.setConnectTimeout(Duration.ofSeconds(Math.min(10, Math.max(1, timeout.toSeconds()))));
    cfg.setFollowRedirects(false);
    cfg.setExceptionOnErrorStatus(true);
    try {
      return HttpClient.create(new URL(base), cfg);
    } catch (MalformedURLException e) {
      throw new IllegalArgumentException("not a URL: " + base, e);
    }
  }

  @Override
  public void close() {
    clients.values().forEach(HttpClient::close);
    clients.clear();
  }
}
