package io.keyturn.e2e;

import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.testkit.launch.TemporalDevServer;
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.workflows.client.TemporalConnection;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The stack most end-to-end tests run on: the real Temporal dev server (SQLite in {@code dir}),
 * real OpenBao, the LiteLLM emulator with a proxy_admin user, the real worker process with its
 * secrets in files, the environment the CLI needs, and a workflow client that reads the worker's
 * encrypted payloads as the CLI does. Closing it stops everything it started.
 */
final class E2eStack implements AutoCloseable {
  TemporalDevServer temporal;
  OpenBaoDevServer bao;
  LiteLlmEmulator litellm;
  WorkerProcess worker;
  String master;

  /** The worker's keyring: only the worker process is given it, never the CLI. */
  WorkerKeyring keyring;

  /**
   * TEMPORAL_ADDRESS, KEYTURN_PAYLOAD_KEY_FILE, KEYTURN_WORKER_PUBLIC_KEY_FILE, LITELLM_MASTER_KEY
   * and VAULT_ADDR for the CLI.
   */
  final Map<String, String> cliEnv = new HashMap<>();

  /** The worker's environment, for a test that starts it again with more settings. */
  final Map<String, String> workerEnv = new HashMap<>();

  WorkflowServiceStubs stubs;
  WorkflowClient client;

  private E2eStack() {}

  private void boot(Path dir) throws Exception {
    temporal = TemporalDevServer.builder().dbFile(dir.resolve("temporal.sqlite")).build();
    temporal.start();
    bao = OpenBaoDevServer.builder().build();
    bao.start();
    master = "sk-master-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "");
    litellm =
        LiteLlmEmulator.builder()
            .masterKey(master)
            .models(List.of("gpt-4o-mini"))
            .user("keyturn-rotator", "proxy_admin")
            .build()
            .start();
    String payloadKey = PayloadKeys.generateBase64();
    Path payloadKeyFile = file(dir, "payload.key", payloadKey);
    keyring = WorkerKeyring.generate();
    Path keyringFile = file(dir, "worker-keyring.json", keyring.toJson());
    Path publicKeyFile = file(dir, "worker.pub", keyring.currentPublicKey().text());
    Map<String, String> env = new HashMap<>();
    env.put("TEMPORAL_ADDRESS", temporal.address());
    env.put("LITELLM_MASTER_KEY_FILE", file(dir, "master.key", master).toString());
    env.put("VAULT_ADDR", bao.address());
    env.put("VAULT_TOKEN_FILE", file(dir, "vault.token", bao.rootToken()).toString());
    env.put("KEYTURN_WORKER_KEYRING_FILE", keyringFile.toString());
    env.put("KEYTURN_PAYLOAD_KEY_FILE", payloadKeyFile.toString());
    workerEnv.putAll(env);
    worker = new WorkerProcess(env, dir.resolve("worker.log")).start();
    cliEnv.put("TEMPORAL_ADDRESS", temporal.address());
    cliEnv.put("KEYTURN_PAYLOAD_KEY_FILE", payloadKeyFile.toString());
    cliEnv.put("KEYTURN_WORKER_PUBLIC_KEY_FILE", publicKeyFile.toString());
    cliEnv.put("LITELLM_MASTER_KEY", master);
    cliEnv.put("VAULT_ADDR", bao.address());
    TemporalConnection temporalConnection = TemporalConnection.local(temporal.address());
    stubs = temporalConnection.openStubs();
    // Results and queries are encrypted by the worker: read them as the CLI does.
    client =
        temporalConnection.client(
            stubs, KeyturnPayloadCodec.dataConverter(PayloadKeys.parse(payloadKey)));
  }

  /** Starts the whole stack; on a failure part-way, stops what had started and rethrows. */
  static E2eStack start(Path dir) throws Exception {
    E2eStack s = new E2eStack();
    try {
      s.boot(dir);
      return s;
    } catch (Exception | Error e) {
      s.close();
      throw e;
    }
  }

  /** Writes {@code value} to {@code dir/name}, readable by its owner only. */
  static Path file(Path dir, String name, String value) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, value, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
    return p;
  }

  @Override
  public void close() throws Exception {
    if (stubs != null) {
      stubs.shutdownNow();
    }
    for (AutoCloseable c : new AutoCloseable[] {worker, litellm, bao, temporal}) {
      if (c != null) {
        c.close();
      }
    }
  }
}
