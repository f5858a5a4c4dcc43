package io.keyturn.bench;

import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.testkit.launch.TemporalDevServer;
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.workflows.client.TemporalConnection;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.CountWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsResponse;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The real stack the benchmarks and the chaos suite run on, everything on 127.0.0.1 and free ports:
 * the Temporal dev server (SQLite file {@code dir/temporal.sqlite}), OpenBao, the LiteLLM emulator
 * (in this JVM, so its faults and keys can be set and read), the worker process with its keyring,
 * payload key and other secrets in 0600 files, and a workflow client that reads the worker's
 * encrypted payloads with the payload key as the CLI does. The CLI gets the payload key and the
 * worker's public key (its pin), never the keyring. Closing it stops everything it started.
 */
final class LocalStack implements AutoCloseable {
  final Path dir;
  TemporalDevServer temporal;
  OpenBaoDevServer bao;
  LiteLlmEmulator litellm;
  WorkerProcess worker;

  private Map<String, String> workerEnv;
  private List<String> workerJvm;

  /**
   * Replaces the worker (killed at once) with one started with its settings plus {@code more}; an
   * empty map gives back the stack's own settings. Same log file, appended.
   */
  void restartWorkerWith(Map<String, String> more) throws Exception {
    worker.kill();
    Map<String, String> env = new LinkedHashMap<>(workerEnv);
    env.putAll(more);
    worker = new WorkerProcess(env, dir.resolve("worker.log"), workerJvm).start();
  }

  String master;

  /** The worker's keyring: given to the worker process only (the suite re-derives keys with it). */
  WorkerKeyring keyring;

  /** The payload key (base64) the worker and the CLI share. */
  String payloadKey;

  Path payloadKeyFile;
  Path publicKeyFile;
  WorkflowServiceStubs stubs;
  WorkflowClient client;

  private LocalStack(Path dir) {
    this.dir = dir;
  }

  /**
   * Starts the whole stack; on a failure part-way, stops what had started and rethrows.
   *
   * @param pragmas SQLite pragmas for the dev server (none: its defaults)
   * @param workerEnv worker settings on top of the stack's own (Temporal, LiteLLM, Vault, keys)
   * @param workerJvm JVM options of the worker (e.g. a heap limit)
   */
  static LocalStack start(
      Path dir, Map<String, String> pragmas, Map<String, String> workerEnv, List<String> workerJvm)
      throws Exception {
    return start(dir, pragmas, Map.of(), workerEnv, workerJvm);
  }

  /**
   * As {@link #start(Path, Map, Map, List)}, with dev server dynamic config values ({@code
   * --dynamic-config-value key=json}, e.g. {@code system.enableActivityEagerExecution=true}).
   */
  static LocalStack start(
      Path dir,
      Map<String, String> pragmas,
      Map<String, String> dynamicConfig,
      Map<String, String> workerEnv,
      List<String> workerJvm)
      throws Exception {
    LocalStack s = new LocalStack(dir);
    try {
      s.boot(pragmas, dynamicConfig, workerEnv, workerJvm);
      return s;
    } catch (Exception | Error e) {
      s.close();
      throw e;
    }
  }

  private void boot(
      Map<String, String> pragmas,
      Map<String, String> dynamicConfig,
      Map<String, String> extra,
      List<String> jvm)
      throws Exception {
    TemporalDevServer.Builder tb =
        TemporalDevServer.builder().dbFile(dir.resolve("temporal.sqlite"));
    pragmas.forEach(tb::sqlitePragma);
    dynamicConfig.forEach(tb::dynamicConfigValue);
    temporal = tb.build();
    temporal.start();
    bao = OpenBaoDevServer.builder().logFile(dir.resolve("openbao.log")).build();
    bao.start();
    master = "sk-local-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "");
    litellm =
        LiteLlmEmulator.builder().masterKey(master).models(List.of("gpt-4o-mini")).build().start();
    payloadKey = PayloadKeys.generateBase64();
    payloadKeyFile = file("payload.key", payloadKey);
    keyring = WorkerKeyring.generate();
    Path keyringFile = file("worker-keyring.json", keyring.toJson());
    publicKeyFile = file("worker.pub", keyring.currentPublicKey().text());
    Map<String, String> env = new LinkedHashMap<>();
    env.put("TEMPORAL_ADDRESS", temporal.address());
    env.put("LITELLM_MASTER_KEY_FILE", file("master.key", master).toString());
    env.put("VAULT_ADDR", bao.address());
    env.put("VAULT_TOKEN_FILE", file("vault.token", bao.rootToken()).toString());
    env.put("KEYTURN_WORKER_KEYRING_FILE", keyringFile.toString());
    env.put("KEYTURN_PAYLOAD_KEY_FILE", payloadKeyFile.toString());
    env.putAll(extra);
    workerEnv = env;
    workerJvm = jvm;
    worker = new WorkerProcess(env, dir.resolve("worker.log"), jvm).start();
    TemporalConnection temporalConnection = TemporalConnection.local(temporal.address());
    stubs = temporalConnection.openStubs();
    client =
        temporalConnection.client(
            stubs, KeyturnPayloadCodec.dataConverter(PayloadKeys.parse(payloadKey)));
  }

  /** How many workflow executions a visibility query matches (30 s deadline). */
  long count(String query) {
    return stubs
        .blockingStub()
        .withDeadlineAfter(30, TimeUnit.SECONDS)
        .countWorkflowExecutions(
            CountWorkflowExecutionsRequest.newBuilder()
                .setNamespace("default")
                .setQuery(query)
                .build())
        .getCount();
  }

  /**
   * Every workflow execution a visibility query matches, page by page (30 s deadline each, at most
   * 100 pages of 500).
   */
  List<WorkflowExecutionInfo> list(String query) {
    List<WorkflowExecutionInfo> out = new ArrayList<>();
    com.google.protobuf.ByteString page = com.google.protobuf.ByteString.EMPTY;
    for (int pages = 0; pages < 100; pages++) {
      ListWorkflowExecutionsResponse r =
          stubs
              .blockingStub()
              .withDeadlineAfter(30, TimeUnit.SECONDS)
              .listWorkflowExecutions(
                  ListWorkflowExecutionsRequest.newBuilder()
                      .setNamespace("default")
                      .setQuery(query)
                      .setPageSize(500)
                      .setNextPageToken(page)
                      .build());
      out.addAll(r.getExecutionsList());
      page = r.getNextPageToken();
      if (page.isEmpty()) {
        break;
      }
    }
    return out;
  }

  /**
   * What the {@code keyturn} CLI needs to talk to this stack: the payload key and the worker's
   * public key (the pin), not the keyring.
   */
  Map<String, String> cliEnv() {
    return Map.of(
        "TEMPORAL_ADDRESS", temporal.address(),
        "KEYTURN_PAYLOAD_KEY_FILE", payloadKeyFile.toString(),
        "KEYTURN_WORKER_PUBLIC_KEY_FILE", publicKeyFile.toString(),
        "LITELLM_URL", litellm.baseUrl());
  }

  private Path file(String name, String value) throws IOException {
    return file(dir, name, value);
  }

  /** Writes {@code value} to {@code dir/name}, readable by its owner only. */
  static Path file(Path dir, String name, String value) throws IOException {
    Path p = dir.resolve(name);
    Files.createDirectories(p.getParent());
    Files.writeString(p, value, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    return p;
  }

  @Override
  public void close() {
    if (stubs != null) {
      stubs.shutdownNow();
    }
    for (AutoCloseable c : new AutoCloseable[] {worker, litellm, bao, temporal}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        System.err.println("stopping: " + e);
      }
    }
  }
}
