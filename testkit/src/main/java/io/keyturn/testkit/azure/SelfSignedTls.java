package io.keyturn.testkit.azure;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * A self-signed server certificate for a test's TLS server, made with the JDK's {@code keytool}:
 * {@code server.p12} (key and certificate) and {@code trust.p12} (the certificate alone), both
 * PKCS12 with the password {@link #PASSWORD}, for another JVM to trust through {@link
 * #trustStoreOptions()}. Test material only: the key is throwaway and the password public.
 */
public final class SelfSignedTls {
  public static final String PASSWORD = "keyturn-test";

  private final Path keyStore;
  private final Path trustStore;

  private SelfSignedTls(Path keyStore, Path trustStore) {
    this.keyStore = keyStore;
    this.trustStore = trustStore;
  }

  /**
   * A certificate in {@code dir} valid for {@code dnsNames} and for 127.0.0.1, e.g. {@code
   * keyturn-e2e.vault.azure.net}.
   */
  public static SelfSignedTls create(Path dir, String... dnsNames)
      throws IOException, InterruptedException {
    Path ks = dir.resolve("server.p12");
    Path ts = dir.resolve("trust.p12");
    Path cert = dir.resolve("server.crt");
    StringBuilder san = new StringBuilder("ip:127.0.0.1");
    for (String n : dnsNames) {
      san.append(",dns:").append(n);
    }
    String cn = dnsNames.length > 0 ? dnsNames[0] : "127.0.0.1";
    keytool(
        "-genkeypair",
        "-alias",
        "server",
        "-keyalg",
        "EC",
        "-groupname",
        "secp256r1",
        "-dname",
        "CN=" + cn,
        "-ext",
        "SAN=" + san,
        "-validity",
        "2",
        "-keystore",
        ks.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);
    keytool(
        "-exportcert",
        "-alias",
        "server",
        "-keystore",
        ks.toString(),
        "-storepass",
        PASSWORD,
        "-rfc",
        "-file",
        cert.toString());
    keytool(
        "-importcert",
        "-noprompt",
        "-alias",
        "server",
        "-file",
        cert.toString(),
        "-keystore",
        ts.toString(),
        "-storetype",
        "PKCS12",
        "-storepass",
        PASSWORD);
    return new SelfSignedTls(ks, ts);
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes());
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException("keytool " + args[0] + " failed: " + out);
    }
  }

  /** A server-side context presenting the certificate. */
  public SSLContext serverContext() throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(keyStore)) {
      ks.load(in, PASSWORD.toCharArray());
    }
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(ks, PASSWORD.toCharArray());
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), null, null);
    return ctx;
  }

  /** The trust store holding the certificate alone. */
  public Path trustStore() {
    return trustStore;
  }

  /** JVM options making another JVM trust this certificate (and nothing else). */
  public List<String> trustStoreOptions() {
    return List.of(
        "-Djavax.net.ssl.trustStore=" + trustStore,
        "-Djavax.net.ssl.trustStoreType=PKCS12",
        "-Djavax.net.ssl.trustStorePassword=" + PASSWORD);
  }
}
