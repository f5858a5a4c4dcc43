package io.keyturn.workflows.client;

import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.converter.DataConverter;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.File;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How the worker and the starter reach Temporal: a local dev server, a self-hosted cluster with
 * mTLS, or Temporal Cloud with an API key. Settings follow Temporal's own environment variable
 * names so one environment serves the {@code temporal} CLI and Keyturn alike.
 *
 * @param address host:port of the frontend ({@code TEMPORAL_ADDRESS}, default 127.0.0.1:7233)
 * @param namespace the namespace ({@code TEMPORAL_NAMESPACE}, default "default")
 * @param apiKey a Temporal Cloud API key ({@code TEMPORAL_API_KEY}); implies TLS
 * @param tls whether to use TLS ({@code TEMPORAL_TLS}); implied by an API key or client cert
 * @param clientCertPath mTLS client certificate ({@code TEMPORAL_TLS_CLIENT_CERT_PATH})
 * @param clientKeyPath mTLS client key ({@code TEMPORAL_TLS_CLIENT_KEY_PATH})
 * @param serverCaCertPath CA to trust instead of the system's ({@code
 *     TEMPORAL_TLS_SERVER_CA_CERT_PATH})
 * @param serverName TLS server name override ({@code TEMPORAL_TLS_SERVER_NAME})
 */
public record TemporalConnection(
    String address,
    String namespace,
    String apiKey,
    boolean tls,
    String clientCertPath,
    String clientKeyPath,
    String serverCaCertPath,
    String serverName) {

  public static final String DEFAULT_ADDRESS = "127.0.0.1:7233";

  public TemporalConnection {
    address = blankToNull(address) == null ? DEFAULT_ADDRESS : address.trim();
    namespace = blankToNull(namespace) == null ? "default" : namespace.trim();
    apiKey = blankToNull(apiKey);
    clientCertPath = blankToNull(clientCertPath);
    clientKeyPath = blankToNull(clientKeyPath);
    serverCaCertPath = blankToNull(serverCaCertPath);
    serverName = blankToNull(serverName);
    if ((clientCertPath == null) != (clientKeyPath == null)) {
      throw new IllegalArgumentException(
          "TLS client certificate and key go together: set both TEMPORAL_TLS_CLIENT_CERT_PATH and"
              + " TEMPORAL_TLS_CLIENT_KEY_PATH, or neither");
    }
    tls = tls || apiKey != null || clientCertPath != null || serverCaCertPath != null;
    if (!address.matches("[^\\s:/]+:\\d{1,5}")) {
      throw new IllegalArgumentException(
          "Temporal address '" + address + "' must be host:port, e.g. 127.0.0.1:7233");
    }
  }

  /** Reads Temporal's standard variables from the given environment. */
  public static TemporalConnection fromEnvironment(Map<String, String> env) {
    return new TemporalConnection(
        env.get("TEMPORAL_ADDRESS"),
        env.get("TEMPORAL_NAMESPACE"),
        env.get("TEMPORAL_API_KEY"),
        Boolean.parseBoolean(env.getOrDefault("TEMPORAL_TLS", "false")),
        env.get("TEMPORAL_TLS_CLIENT_CERT_PATH"),
        env.get("TEMPORAL_TLS_CLIENT_KEY_PATH"),
        env.get("TEMPORAL_TLS_SERVER_CA_CERT_PATH"),
        env.get("TEMPORAL_TLS_SERVER_NAME"));
  }

  /** A copy with another address and namespace (null keeps the current one). */
  public TemporalConnection with(String newAddress, String newNamespace) {
    return new TemporalConnection(
        newAddress == null ? address : newAddress,
        newNamespace == null ? namespace : newNamespace,
        apiKey,
        tls,
        clientCertPath,
        clientKeyPath,
        serverCaCertPath,
        serverName);
  }

  /** Opens gRPC stubs to the frontend. Connection is lazy: errors surface on the first call. */
  public WorkflowServiceStubs openStubs() {
    WorkflowServiceStubsOptions.Builder b =
        WorkflowServiceStubsOptions.newBuilder()
            .setTarget(address)
            .setRpcTimeout(Duration.ofSeconds(10));
    if (tls) {
      b.setSslContext(sslContext());
    }
    if (apiKey != null) {
      String key = apiKey;
      b.addApiKey(() -> key);
      Metadata md = new Metadata();
      md.put(Metadata.Key.of("temporal-namespace", Metadata.ASCII_STRING_MARSHALLER), namespace);
      b.addGrpcMetadataProvider(() -> md);
    }
    if (serverName != null) {
      b.setChannelInitializer(ch -> ch.overrideAuthority(serverName));
    }
    return WorkflowServiceStubs.newServiceStubs(b.build());
  }

  /**
   * A workflow client on these stubs in this namespace, with the given data converter: Keyturn's
   * processes pass {@link io.keyturn.workflows.crypto.KeyturnPayloadCodec#dataConverter}, so what
   * they write to history is encrypted and what they read is decrypted.
   */
  public WorkflowClient client(WorkflowServiceStubs stubs, DataConverter dataConverter) {
    return WorkflowClient.newInstance(
        stubs,
        WorkflowClientOptions.newBuilder()
            .setNamespace(namespace)
            .setDataConverter(Objects.requireNonNull(dataConverter, "dataConverter"))
            .build());
  }

  private SslContext sslContext() {
    try {
      SslContextBuilder b = GrpcSslContexts.forClient();
      if (serverCaCertPath != null) {
        b.trustManager(new File(serverCaCertPath));
      }
      if (clientCertPath != null) {
        b.keyManager(new File(clientCertPath), new File(clientKeyPath));
      }
      return b.build();
    } catch (Exception e) {
      throw new IllegalArgumentException(
          "cannot set up TLS for Temporal at " + address + ": " + e.getMessage(), e);
    }
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  @Override
  public String toString() {
    return "TemporalConnection[address="
        + address
        + ", namespace="
        + namespace
        + ", tls="
        + tls
        + ", apiKey="
        + (apiKey == null ? "none" : "set")
        + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TemporalConnection t
        && Objects.equals(address, t.address)
        && Objects.equals(namespace, t.namespace);
  }

  @Override
  public int hashCode() {
    return Objects.hash(address, namespace);
  }
}
