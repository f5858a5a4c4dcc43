package io.keyturn.workflows.client;

import io.grpc.Metadata;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.common.converter.DataConverter;
import io.temporal.envconfig.ClientConfigProfile;
import io.temporal.envconfig.ClientConfigTLS;
import io.temporal.envconfig.LoadClientConfigProfileOptions;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How the worker and the starter reach Temporal: a local dev server, a self-hosted cluster with
 * mTLS, or Temporal Cloud with an API key. The settings are Temporal's own client configuration
 * ({@code io.temporal.envconfig}): the {@code TEMPORAL_ADDRESS}, {@code TEMPORAL_NAMESPACE}, {@code
 * TEMPORAL_API_KEY} and {@code TEMPORAL_TLS*} variables over a profile of {@code temporal.toml}
 * ({@code TEMPORAL_PROFILE}, {@code TEMPORAL_CONFIG_FILE}), so one environment serves the {@code
 * temporal} CLI and Keyturn alike. This class adds what Keyturn wants on top: a local default, a
 * clear message for an address without a port or a client certificate without its key, an RPC
 * deadline, and the namespace header Temporal Cloud routes API-key calls by.
 */
public final class TemporalConnection {

  public static final String DEFAULT_ADDRESS = "127.0.0.1:7233";
  private static final String DEFAULT_NAMESPACE = "default";

  private final ClientConfigProfile profile;
  private final String address;
  private final String namespace;

  private TemporalConnection(ClientConfigProfile profile) {
    this.profile = profile;
    this.address = blank(profile.getAddress()) ? DEFAULT_ADDRESS : profile.getAddress().trim();
    this.namespace =
        blank(profile.getNamespace()) ? DEFAULT_NAMESPACE : profile.getNamespace().trim();
    if (!address.matches("[^\\s:/]+:\\d{1,5}")) {
      throw new IllegalArgumentException(
          "Temporal address '" + address + "' must be host:port, e.g. " + DEFAULT_ADDRESS);
    }
    ClientConfigTLS tls = profile.getTls();
    if (tls != null
        && (hasCert(tls.getClientCertPath(), tls.getClientCertData())
            != hasCert(tls.getClientKeyPath(), tls.getClientKeyData()))) {
      throw new IllegalArgumentException(
          "TLS client certificate and key go together: set both TEMPORAL_TLS_CLIENT_CERT_PATH and"
              + " TEMPORAL_TLS_CLIENT_KEY_PATH (or both in the temporal.toml profile), or neither");
    }
  }

  /**
   * Temporal's client configuration read from {@code env} (and the temporal.toml profile it names,
   * if any), as the {@code temporal} CLI reads it.
   */
  public static TemporalConnection fromEnvironment(Map<String, String> env) {
    ClientConfigProfile profile;
    try {
      profile =
          ClientConfigProfile.load(
              LoadClientConfigProfileOptions.newBuilder().setEnvOverrides(Map.copyOf(env)).build());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(
          "cannot read Temporal's client configuration (TEMPORAL_CONFIG_FILE="
              + env.getOrDefault(
                  "TEMPORAL_CONFIG_FILE", "unset, so ~/.config/temporalio/temporal.toml")
              + ", TEMPORAL_PROFILE="
              + env.getOrDefault("TEMPORAL_PROFILE", "unset, so default")
              + "): "
              + e.getMessage(),
          e);
    }
    return new TemporalConnection(profile);
  }

  /** A plain connection (no TLS, no API key) to {@code address} in the default namespace. */
  public static TemporalConnection local(String address) {
    return new TemporalConnection(ClientConfigProfile.newBuilder().setAddress(address).build());
  }

  /** A copy with another address and namespace (null or blank keeps the current one). */
  public TemporalConnection with(String newAddress, String newNamespace) {
    ClientConfigProfile.Builder b = profile.toBuilder();
    if (!blank(newAddress)) {
      b.setAddress(newAddress);
    }
    if (!blank(newNamespace)) {
      b.setNamespace(newNamespace);
    }
    return new TemporalConnection(b.build());
  }

  public String address() {
    return address;
  }

  public String namespace() {
    return namespace;
  }

  /** Whether calls use TLS: asked for, or implied by an API key or a certificate. */
  public boolean tls() {
    ClientConfigTLS tls = profile.getTls();
    if (tls != null && Boolean.TRUE.equals(tls.isDisabled())) {
      return false;
    }
    return tls != null || !blank(profile.getApiKey());
  }

  /** Opens gRPC stubs to the frontend. Connection is lazy: errors surface on the first call. */
  public WorkflowServiceStubs openStubs() {
    WorkflowServiceStubsOptions.Builder b;
    try {
      b = WorkflowServiceStubsOptions.newBuilder(profile.toWorkflowServiceStubsOptions());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "cannot set up TLS for Temporal at " + address + ": " + e.getMessage(), e);
    }
    b.setTarget(address).setRpcTimeout(Duration.ofSeconds(10));
    if (!blank(profile.getApiKey())) {
      Metadata md = new Metadata();
      md.put(Metadata.Key.of("temporal-namespace", Metadata.ASCII_STRING_MARSHALLER), namespace);
      b.addGrpcMetadataProvider(() -> md);
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
        WorkflowClientOptions.newBuilder(profile.toWorkflowClientOptions())
            .setNamespace(namespace)
            .setDataConverter(Objects.requireNonNull(dataConverter, "dataConverter"))
            .build());
  }

  private static boolean hasCert(String path, byte[] data) {
    return !blank(path) || (data != null && data.length > 0);
  }

  private static boolean blank(String s) {
    return s == null || s.isBlank();
  }

  @Override
  public String toString() {
    return "TemporalConnection[address="
        + address
        + ", namespace="
        + namespace
        + ", tls="
        + tls()
        + ", apiKey="
        + (blank(profile.getApiKey()) ? "none" : "set")
        + "]";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TemporalConnection t
        && address.equals(t.address)
        && namespace.equals(t.namespace);
  }

  @Override
  public int hashCode() {
    return Objects.hash(address, namespace);
  }
}
