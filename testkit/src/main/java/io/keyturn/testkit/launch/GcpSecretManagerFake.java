package io.keyturn.testkit.launch;

import com.google.cloud.secretmanager.v1.AccessSecretVersionRequest;
import com.google.cloud.secretmanager.v1.AccessSecretVersionResponse;
import com.google.cloud.secretmanager.v1.AddSecretVersionRequest;
import com.google.cloud.secretmanager.v1.CreateSecretRequest;
import com.google.cloud.secretmanager.v1.DisableSecretVersionRequest;
import com.google.cloud.secretmanager.v1.GetSecretRequest;
import com.google.cloud.secretmanager.v1.ListSecretVersionsRequest;
import com.google.cloud.secretmanager.v1.ListSecretVersionsResponse;
import com.google.cloud.secretmanager.v1.Secret;
import com.google.cloud.secretmanager.v1.SecretPayload;
import com.google.cloud.secretmanager.v1.SecretVersion;
import com.google.cloud.secretmanager.v1.UpdateSecretRequest;
import com.google.protobuf.Message;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * An in-memory Google Secret Manager on 127.0.0.1 (gRPC, plaintext), for the calls Keyturn's store
 * makes: create, get and update a secret; add, access, list and disable versions. Written from the
 * v1 API reference: {@code versions/latest} is the most recently created version, and accessing a
 * disabled version is {@code FAILED_PRECONDITION}. Projects named {@code denied-*} answer {@code
 * PERMISSION_DENIED} to everything.
 *
 * <p>A test double, not the product. It stands in for the emulator
 * github.com/blackwell-systems/gcp-secret-manager-emulator, which the Go module proxy refuses here
 * (403 for every version). The service is bound by hand ({@link #definition()}): the generated gRPC
 * stubs (grpc-google-cloud-secretmanager-v1) are not served at the client's version, and the
 * messages and method names are all the server side needs.
 */
public final class GcpSecretManagerFake implements AutoCloseable {

  /** The gRPC service Secret Manager v1 serves. */
  static final String SERVICE = "google.cloud.secretmanager.v1.SecretManagerService";

  private record Stored(
      Secret secret, List<SecretVersion> versions, List<SecretPayload> payloads) {}

  private final Map<String, Stored> secrets = new LinkedHashMap<>();
  private Server server;

  /** Starts on a free port of 127.0.0.1. */
  public synchronized GcpSecretManagerFake start() throws IOException {
    server =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
            .addService(definition())
            .build()
            .start();
    return this;
  }

  /** {@code 127.0.0.1:<port>}, the store's {@code endpoint}. */
  public String endpoint() {
    return "127.0.0.1:" + server.getPort();
  }

  @Override
  public synchronized void close() {
    if (server != null) {
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      server = null;
    }
  }

  /** The methods the store calls, each a unary call answered by the method of the same name. */
  ServerServiceDefinition definition() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(
            method(
                "CreateSecret",
                CreateSecretRequest.getDefaultInstance(),
                Secret.getDefaultInstance()),
            ServerCalls.asyncUnaryCall(this::createSecret))
        .addMethod(
            method("GetSecret", GetSecretRequest.getDefaultInstance(), Secret.getDefaultInstance()),
            ServerCalls.asyncUnaryCall(this::getSecret))
        .addMethod(
            method(
                "UpdateSecret",
                UpdateSecretRequest.getDefaultInstance(),
                Secret.getDefaultInstance()),
            ServerCalls.asyncUnaryCall(this::updateSecret))
        .addMethod(
            method(
                "AddSecretVersion",
                AddSecretVersionRequest.getDefaultInstance(),
                SecretVersion.getDefaultInstance()),
            ServerCalls.asyncUnaryCall(this::addSecretVersion))
        .addMethod(
            method(
                "AccessSecretVersion",
                AccessSecretVersionRequest.getDefaultInstance(),
                AccessSecretVersionResponse.getDefaultInstance()),
            ServerCalls.asyncUnaryCall(this::accessSecretVersion))
        .addMethod(
            method(
                "ListSecretVersions",
                ListSecretVersionsRequest.getDefaultInstance(),
                ListSecretVersionsResponse.getDefaultInstance()),
            ServerCalls.asyncUnaryCall(this::listSecretVersions))
        .addMethod(
            method(
                "DisableSecretVersion",
                DisableSecretVersionRequest.getDefaultInstance(),
                SecretVersion.getDefaultInstance()),
            ServerCalls.asyncUnaryCall(this::disableSecretVersion))
        .build();
  }

  private static <Q extends Message, R extends Message> MethodDescriptor<Q, R> method(
      String name, Q request, R response) {
    return MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
        .setRequestMarshaller(ProtoUtils.marshaller(request))
        .setResponseMarshaller(ProtoUtils.marshaller(response))
        .build();
  }

  private static void deny(String name) {
    String[] p = name.split("/");
    if (p.length > 1 && p[1].startsWith("denied-")) {
      throw Status.PERMISSION_DENIED
          .withDescription("Permission denied on resource " + name)
          .asRuntimeException();
    }
  }

  private Stored secret(String name) {
    deny(name);
    Stored s = secrets.get(name);
    if (s == null) {
      throw Status.NOT_FOUND
          .withDescription("Secret [" + name + "] not found.")
          .asRuntimeException();
    }
    return s;
  }

  private int versionIndex(Stored s, String versionName) {
    String id = versionName.substring(versionName.lastIndexOf('/') + 1);
    if (id.equals("latest")) {
      if (s.versions().isEmpty()) {
        throw Status.NOT_FOUND.withDescription("no versions").asRuntimeException();
      }
      return s.versions().size() - 1;
    }
    int i;
    try {
      i = Integer.parseInt(id) - 1;
    } catch (NumberFormatException e) {
      throw Status.INVALID_ARGUMENT.withDescription("bad version " + id).asRuntimeException();
    }
    if (i < 0 || i >= s.versions().size()) {
      throw Status.NOT_FOUND.withDescription(versionName + " not found").asRuntimeException();
    }
    return i;
  }

  private static String secretOf(String versionName) {
    return versionName.substring(0, versionName.indexOf("/versions/"));
  }

  private <T> void answer(StreamObserver<T> out, java.util.function.Supplier<T> call) {
    T r;
    synchronized (this) {
      try {
        r = call.get();
      } catch (RuntimeException e) {
        out.onError(e);
        return;
      }
    }
    out.onNext(r);
    out.onCompleted();
  }

  public void createSecret(CreateSecretRequest req, StreamObserver<Secret> out) {
    answer(
        out,
        () -> {
          String name = req.getParent() + "/secrets/" + req.getSecretId();
          deny(name);
          if (!req.getSecretId().matches("[A-Za-z0-9_-]{1,255}")) {
            throw Status.INVALID_ARGUMENT.withDescription("bad secret id").asRuntimeException();
          }
          if (secrets.containsKey(name)) {
            throw Status.ALREADY_EXISTS.withDescription(name + " exists").asRuntimeException();
          }
          Secret s = req.getSecret().toBuilder().setName(name).build();
          secrets.put(name, new Stored(s, new ArrayList<>(), new ArrayList<>()));
          return s;
        });
  }

  public void getSecret(GetSecretRequest req, StreamObserver<Secret> out) {
    answer(out, () -> secret(req.getName()).secret());
  }

  public void updateSecret(UpdateSecretRequest req, StreamObserver<Secret> out) {
    answer(
        out,
        () -> {
          Stored s = secret(req.getSecret().getName());
          Secret.Builder b = s.secret().toBuilder();
          for (String path : req.getUpdateMask().getPathsList()) {
            switch (path) {
              case "labels" -> b.clearLabels().putAllLabels(req.getSecret().getLabelsMap());
              case "annotations" ->
                  b.clearAnnotations().putAllAnnotations(req.getSecret().getAnnotationsMap());
              default ->
                  throw Status.INVALID_ARGUMENT
                      .withDescription("unsupported update_mask path " + path)
                      .asRuntimeException();
            }
          }
          for (String v : b.getLabelsMap().values()) {
            if (!v.matches("[a-z0-9_-]{0,63}")) {
              throw Status.INVALID_ARGUMENT.withDescription("bad label value").asRuntimeException();
            }
          }
          Secret updated = b.build();
          secrets.put(updated.getName(), new Stored(updated, s.versions(), s.payloads()));
          return updated;
        });
  }

  public void addSecretVersion(AddSecretVersionRequest req, StreamObserver<SecretVersion> out) {
    answer(
        out,
        () -> {
          Stored s = secret(req.getParent());
          SecretVersion v =
              SecretVersion.newBuilder()
                  .setName(req.getParent() + "/versions/" + (s.versions().size() + 1))
                  .setState(SecretVersion.State.ENABLED)
                  .build();
          s.versions().add(v);
          s.payloads().add(req.getPayload());
          return v;
        });
  }

  public void accessSecretVersion(
      AccessSecretVersionRequest req, StreamObserver<AccessSecretVersionResponse> out) {
    answer(
        out,
        () -> {
          Stored s = secret(secretOf(req.getName()));
          int i = versionIndex(s, req.getName());
          SecretVersion v = s.versions().get(i);
          if (v.getState() != SecretVersion.State.ENABLED) {
            throw Status.FAILED_PRECONDITION
                .withDescription(v.getName() + " is in " + v.getState() + " state.")
                .asRuntimeException();
          }
          return AccessSecretVersionResponse.newBuilder()
              .setName(v.getName())
              .setPayload(s.payloads().get(i))
              .build();
        });
  }

  public void listSecretVersions(
      ListSecretVersionsRequest req, StreamObserver<ListSecretVersionsResponse> out) {
    answer(
        out,
        () -> {
          List<SecretVersion> newestFirst = new ArrayList<>(secret(req.getParent()).versions());
          java.util.Collections.reverse(newestFirst);
          return ListSecretVersionsResponse.newBuilder()
              .addAllVersions(newestFirst)
              .setTotalSize(newestFirst.size())
              .build();
        });
  }

  public void disableSecretVersion(
      DisableSecretVersionRequest req, StreamObserver<SecretVersion> out) {
    answer(
        out,
        () -> {
          Stored s = secret(secretOf(req.getName()));
          int i = versionIndex(s, req.getName());
          SecretVersion v =
              s.versions().get(i).toBuilder().setState(SecretVersion.State.DISABLED).build();
          s.versions().set(i, v);
          return v;
        });
  }
}
