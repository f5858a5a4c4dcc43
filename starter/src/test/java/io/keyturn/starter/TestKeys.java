package io.keyturn.starter;

import io.keyturn.workflows.WorkerKeysWorkflow;
import io.keyturn.workflows.WorkerKeysWorkflowImpl;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.crypto.WorkerPublicKey;
import io.keyturn.workflows.model.WorkerKeys;
import io.temporal.common.converter.DataConverter;
import io.temporal.worker.Worker;
import java.util.Map;

/**
 * The keys of the test worker and what the CLI under test is configured with: the payload key they
 * share and the worker's public key. The keyring itself stays here, on the worker's side.
 */
public final class TestKeys {
  public static final WorkerKeyring KEYRING = WorkerKeyring.generate();
  public static final String PAYLOAD_KEY = PayloadKeys.generateBase64();
  public static final PayloadKeys PAYLOAD = PayloadKeys.parse(PAYLOAD_KEY);
  public static final DataConverter CONVERTER = KeyturnPayloadCodec.dataConverter(PAYLOAD);

  private TestKeys() {}

  /** What a CLI user sets: the payload key and the worker's public key, nothing more. */
  public static Map<String, String> cliEnv() {
    return Map.of(
        PayloadKeys.ENV, PAYLOAD_KEY, WorkerPublicKey.ENV, KEYRING.currentPublicKey().text());
  }

  /** Adds the CLI's keys to {@code env} unless the test names them itself (blank: none). */
  public static void addCliKeys(Map<String, String> env) {
    if (!env.containsKey(PayloadKeys.ENV) && !env.containsKey(PayloadKeys.ENV_FILE)) {
      env.put(PayloadKeys.ENV, PAYLOAD_KEY);
    }
    if (!env.containsKey(WorkerPublicKey.ENV) && !env.containsKey(WorkerPublicKey.ENV_FILE)) {
      env.put(WorkerPublicKey.ENV, KEYRING.currentPublicKey().text());
    }
  }

  public static WorkerKeys answer(WorkerKeyring ring, PayloadKeys payload) {
    return new WorkerKeys(
        ring.currentKeyId(),
        ring.publicKeys().stream().map(WorkerPublicKey::text).toList(),
        payload.currentId(),
        payload.ids());
  }

  /** Registers the worker's answer to {@link WorkerKeysWorkflow}, as the real worker does. */
  public static void serveWorkerKeys(io.temporal.worker.WorkerFactory factory) {
    serveWorkerKeys(
        factory.newWorker(
            WorkerKeysWorkflow.taskQueueFor(io.keyturn.workflows.KeyRotationWorkflow.TASK_QUEUE)));
  }

  public static void serveWorkerKeys(Worker worker) {
    WorkerKeys answer = answer(KEYRING, PAYLOAD);
    worker.registerWorkflowImplementationFactory(
        WorkerKeysWorkflow.class, () -> new WorkerKeysWorkflowImpl(answer));
  }
}
