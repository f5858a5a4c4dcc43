package io.keyturn.worker.config;

import io.keyturn.workflows.crypto.SecretFiles;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
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
 * Settings of the codec endpoint ({@code keyturn.codec.*}, from KEYTURN_CODEC_*; defaults in
 * application.yml): where it listens (loopback, port 8089 by default; port 0 turns it off), which
 * Temporal UI origins may call it from a browser, and the bearer token it asks for. The token may
 * be given as a file, re-read on each request so it can be rotated without a restart.
 *
 * @param host KEYTURN_CODEC_HOST (blank: loopback)
 * @param port KEYTURN_CODEC_PORT
 * @param token KEYTURN_CODEC_TOKEN
 * @param tokenFile KEYTURN_CODEC_TOKEN_FILE
 * @param corsOrigins KEYTURN_CODEC_CORS_ORIGINS, comma separated; see {@link #allowedOrigins()}
 */
@ConfigurationProperties("keyturn.codec")
public record CodecSettings(
    @Nullable String host,
    int port,
    @Nullable String token,
    @Nullable String tokenFile,
    @Nullable String corsOrigins) {
  /** The Temporal CLI dev server's UI, under both names a browser may use for it. */
  public static final String DEFAULT_CORS_ORIGINS = "http://127.0.0.1:8233,http://localhost:8233";

  public CodecSettings {
    host = Blank.is(host) ? "127.0.0.1" : host.trim();
  }

  /** Every problem with these settings, each naming the variable to set. Empty when all is well. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (port < 0 || port > 65535) {
      problems.add("KEYTURN_CODEC_PORT=" + port + " is not a port: use 1-65535, or 0 to turn off");
    }
    if (!Blank.is(token) && !Blank.is(tokenFile)) {
      problems.add("KEYTURN_CODEC_TOKEN and KEYTURN_CODEC_TOKEN_FILE are both set: set one");
    } else if (!Blank.is(tokenFile) && !Files.isReadable(Path.of(tokenFile))) {
      problems.add("KEYTURN_CODEC_TOKEN_FILE=" + tokenFile + " is not a readable file");
    }
    try {
      allowedOrigins();
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    return problems;
  }

  public boolean enabled() {
    return port > 0;
  }

  /** True when a token (value or file) is configured. */
  public boolean tokenRequired() {
    return !Blank.is(token) || !Blank.is(tokenFile);
  }

  /** The bearer token, read from its file at each call when given as a file; null when unset. */
  public Supplier<String> tokenSource() {
    return SecretFiles.source(token, tokenFile, "KEYTURN_CODEC_TOKEN_FILE");
  }

  /**
   * The browser origins allowed to call the endpoint: {@code scheme://host[:port]}, comma
   * separated. An origin is compared as a whole string, the way browsers send it.
   */
  public Set<String> allowedOrigins() {
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

  /** Says whether a token is set, never the token. */
  @Override
  public String toString() {
    return "CodecSettings[host="
        + host
        + ", port="
        + port
        + ", token="
        + Blank.mask(token)
        + ", tokenFile="
        + tokenFile
        + ", corsOrigins="
        + corsOrigins
        + "]";
  }
}
