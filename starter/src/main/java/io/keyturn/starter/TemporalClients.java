package io.keyturn.starter;

import io.keyturn.workflows.client.TemporalConnection;
import io.temporal.client.WorkflowClient;
import io.temporal.common.converter.DataConverter;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Where the CLI gets its {@link WorkflowClient}. The process uses {@link #grpc()}; tests hand in
 * the client of an in-memory Temporal instead.
 */
@FunctionalInterface
public interface TemporalClients {

  /**
   * Opens a session to the Temporal described by {@code connection}, whose client reads and writes
   * payloads with {@code dataConverter} (Keyturn's encrypting one). Throws the underlying gRPC
   * failure when the frontend cannot be reached; callers name the address in their message.
   */
  Session open(TemporalConnection connection, DataConverter dataConverter);

  /** A workflow client and what to do when the command is done with it. */
  record Session(WorkflowClient client, Runnable onClose) implements AutoCloseable {
    @Override
    public void close() {
      onClose.run();
    }
  }

  /** How long {@link #grpc()} waits for the frontend to answer before giving up. */
  Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * Real gRPC stubs built by {@link TemporalConnection#openStubs()}. Checks the frontend answers
   * first, so a server that is down is reported in seconds rather than after the SDK's retries.
   */
  static TemporalClients grpc() {
    return (connection, dataConverter) -> {
      WorkflowServiceStubs stubs = connection.openStubs();
      try {
        stubs.connect(CONNECT_TIMEOUT);
      } catch (RuntimeException e) {
        stubs.shutdownNow();
        throw e;
      }
      return new Session(
          connection.client(stubs, dataConverter),
          () -> {
            stubs.shutdown();
            stubs.awaitTermination(2, TimeUnit.SECONDS);
          });
    };
  }
}
