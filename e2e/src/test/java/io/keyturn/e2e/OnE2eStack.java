package io.keyturn.e2e;

import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.testkit.launch.TemporalDevServer;
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.temporal.client.WorkflowClient;
import io.temporal.serviceclient.WorkflowServiceStubs;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;

/**
 * A test class whose tests all run on one {@link E2eStack}, started before the first test in the
 * class's own temporary directory and stopped after the last. Its parts are here by name.
 */
abstract class OnE2eStack {
  @TempDir static Path dir;

  static E2eStack stack;
  static TemporalDevServer temporal;
  static OpenBaoDevServer bao;
  static LiteLlmEmulator litellm;
  static WorkerProcess worker;
  static Map<String, String> cliEnv;
  static WorkflowServiceStubs stubs;
  static WorkflowClient client;
  static String master;

  @BeforeAll
  static void startStack() throws Exception {
    stack = E2eStack.start(dir);
    temporal = stack.temporal;
    bao = stack.bao;
    litellm = stack.litellm;
    worker = stack.worker;
    cliEnv = stack.cliEnv;
    stubs = stack.stubs;
    client = stack.client;
    master = stack.master;
  }

  @AfterAll
  static void stopStack() throws Exception {
    if (stack != null) {
      stack.close();
    }
  }

  /** Writes {@code value} to {@code name} in the stack's directory, readable by its owner only. */
  static Path file(String name, String value) throws Exception {
    return E2eStack.file(dir, name, value);
  }

  /** Runs the {@code keyturn} CLI with the stack's environment. */
  static Cli.Result keyturn(String... args) throws Exception {
    return new Cli(cliEnv).run(args);
  }
}
