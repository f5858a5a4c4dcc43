package io.keyturn.worker.codec;

import io.keyturn.workflows.crypto.SecretFiles;
import io.micronaut.context.annotation.Value;
import jakarta.inject.Singleton;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Settings of the codec endpoint ({@code KEYTURN_CODEC_*}): where it listens (loopback, port 8089
 * by default; port 0 turns it off), which Temporal UI origins may call it from a browser, and the
 * bearer token it asks for. The token may be given as a file, re-read on each request so it can be
 * rotated without a restart.
 */
@Singleton
public class CodecSettings {
  /** The Temporal CLI dev server's UI, under both names a browser may use for it. */
  public static final String DEFAULT_CORS_ORIGINS = "http://127.0.0.1:8233,http://localhost:8233";

  private final String host;
  private final int port;
  private final String token;
  private final String tokenFile;
  private final String corsOrigins;

  public CodecSettings(
      @Value("${keyturn.codec.host:127.0.0.1}") String host,
      @Value("${keyturn.codec.port:8089}") int port,
      @Value("${keyturn.codec.token:}") String token,
      @Value("${keyturn.codec.token-file:}") String tokenFile,
      @Value("${keyturn.codec.cors-origins:" + DEFAULT_CORS_ORIGINS + "}") String corsOrigins) {
    this.host = host == null || host.isBlank() ? "127.0.0.1" : host.trim();
    this.port = port;
    this.token = token;
    this.tokenFile = tokenFile;
    this.corsOrigins = corsOrigins;
  }

  /** Every problem with these settings, each naming the variable to set. */
  public List<String> validate() {
    List<String> problems = new ArrayList<>();
    if (port < 0 || port > 65535) {
      problems.add("KEYTURN_CODEC_PORT=" + port + " is not a port: use 1-65535, or 0 to turn off");
    }
    if (!blank(token) && !blank(tokenFile)) {
      problems.add("KEYTURN_CODEC_TOKEN and KEYTURN_CODEC_TOKEN_FILE are both set: set one");
    } else if (!blank(tokenFile) && !Files.isReadable(Path.of(tokenFile))) {
      problems.add("KEYTURN_CODEC_TOKEN_FILE=" + tokenFile + " is not a readable file");
    }
    try {
      corsOrigins();
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    return problems;
  }

  public String host() {
    return host;
  }

  /** The port, or 0 when the endpoint is off. */
  public int port() {
    return port;
  }

  public boolean enabled() {
    return port > 0;
  }

  /** True when a token (value or file) is configured. */
  public boolean tokenRequired() {
    return !blank(token) || !blank(tokenFile);
  }

  /** The bearer token, read from its file at each call when given as a file; null when unset. */
  public Supplier<String> token() {
    return SecretFiles.source(token, tokenFile, "KEYTURN_CODEC_TOKEN_FILE");
  }

  /**
   * The browser origins allowed to call the endpoint: {@code scheme://host[:port]}, comma
   * separated. An origin is compared as a whole string, the way browsers send it.
   */
  public Set<String> corsOrigins() {
    Set<String> out = new LinkedHashSet<>();
    if (corsOrigins == null) {
      return out;
    }
    for (String raw : corsOrigins.split(",")) {
      String o = raw.strip().replaceAll("/+$", "");
      if (o.isEmpty()) {
        continue;
      }
      URI u;
      try {
        u = URI.create(o);
      } catch (IllegalArgumentException e) {
        u = null;
      }
      if (o.equals("*")
          || u == null
          || u.getHost() == null
          || !(("http".equals(u.getScheme())) || "https".equals(u.getScheme()))
          || (u.getPath() != null && !u.getPath().isEmpty())) {
        throw new IllegalArgumentException(
            "KEYTURN_CODEC_CORS_ORIGINS: '"
                + o
                + "' is not an origin; list the Temporal UI's origins as scheme://host[:port],"
                + " comma separated (no wildcard), e.g. "
                + DEFAULT_CORS_ORIGINS);
      }
      out.add(o);
    }
    return out;
  }

  /** True when the host names a loopback address (so only this machine can connect). */
  public boolean loopback() {
    try {
      return InetAddress.getByName(host).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }
}
