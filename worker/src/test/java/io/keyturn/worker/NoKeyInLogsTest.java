package io.keyturn.worker;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.activities.litellm.LiteLlmActivitiesImpl;
import io.keyturn.activities.store.SecretStoreActivitiesImpl;
import io.keyturn.activities.store.SecretStoreRegistry;
import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.worker.observe.AuditLog;
import io.keyturn.worker.observe.RotationInterceptor;
import io.keyturn.worker.observe.RotationMetrics;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.KeyRotationWorkflowImpl;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.testing.Rotations;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A full rotation (import, mint, verify, publish, grace, revoke) with the real activities against
 * the LiteLLM emulator and a real OpenBao, every logger at DEBUG: no key value appears in any log
 * event, neither as logged (before the layout masks anything) nor as written.
 */
class NoKeyInLogsTest {
  static final String MASTER = "sk-test-master-0123456789abcdef";

  static final List<ILoggingEvent> events = new ArrayList<>();
  static final List<String> written = new ArrayList<>();
  static String oldValue;
  static String newValue;
  static String rootToken;

  @BeforeAll
  static void rotate() throws Exception {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    RedactingLayout text = layout(ctx, "text");
    RedactingLayout json = layout(ctx, "json");
    AppenderBase<ILoggingEvent> capture =
        new AppenderBase<>() {
          @Override
          protected void append(ILoggingEvent e) {
            e.prepareForDeferredProcessing();
            synchronized (events) {
              events.add(e);
              written.add(text.doLayout(e));
              written.add(json.doLayout(e));
            }
          }
        };
    capture.setContext(ctx);
    capture.start();
    for (String name :
        List.of(Logger.ROOT_LOGGER_NAME, "io.keyturn", "io.temporal", "io.grpc", AuditLog.LOGGER)) {
      ctx.getLogger(name).setLevel(Level.DEBUG);
    }
    ctx.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(capture);
    if (!ctx.getLogger(AuditLog.LOGGER).isAdditive()) {
      ctx.getLogger(AuditLog.LOGGER).addAppender(capture);
    }

    WorkerKeyring secret = WorkerKeyring.generate();
    try (LiteLlmEmulator proxy =
            LiteLlmEmulator.builder().masterKey(MASTER).models(List.of("gpt-4o-mini")).build();
        OpenBaoDevServer bao = OpenBaoDevServer.builder().build();
        JsonHttp http = new JsonHttp(Duration.ofSeconds(5))) {
      proxy.start();
      bao.start();
      rootToken = bao.rootToken();
      oldValue =
          proxy.createKey(Map.of("key_alias", "svc-a-original", "models", List.of("gpt-4o-mini")));
      KeyRef old = KeyMaterial.ref(oldValue);
      VaultKv2Client vault = new VaultKv2Client(http, bao.address(), bao::rootToken);
      TestWorkflowEnvironment env =
          TestWorkflowEnvironment.newInstance(
              TestEnvironmentOptions.newBuilder()
                  .setWorkerFactoryOptions(
                      WorkerFactoryOptions.newBuilder()
                          .setWorkerInterceptors(
                              new RotationInterceptor(new RotationMetrics(), Clock.systemUTC()))
                          .build())
                  .build());
      try {
        env.registerSearchAttribute("KeyturnSecretId", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
        env.registerSearchAttribute("KeyturnPhase", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
        env.registerSearchAttribute("KeyturnGateway", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
        env.registerSearchAttribute("KeyturnGeneration", IndexedValueType.INDEXED_VALUE_TYPE_INT);
        Worker worker = env.newWorker(KeyRotationWorkflow.TASK_QUEUE);
        worker.registerWorkflowImplementationTypes(KeyRotationWorkflowImpl.class);
        worker.registerActivitiesImplementations(
            new LiteLlmActivitiesImpl(new LiteLlmClient(http, () -> MASTER), secret),
            new SecretStoreActivitiesImpl(SecretStoreRegistry.builtIn(vault), secret));
        env.start();
        RotationRequest req =
            RotationRequest.builder("svc-a")
                .generation(1)
                .gatewayUrl(proxy.baseUrl())
                .oldKey(old)
                .destinations(new Destination("vault-kv2", java.util.Map.of("name", "svc-a")))
                .gracePeriod(Duration.ofMinutes(5))
                .requestedBy("log-test")
                .build();
        RotationResult result = Rotations.stub(env.getWorkflowClient(), req).rotate(req);
        newValue =
            (String)
                vault
                    .read(new VaultKv2Client.Secret("secret", "litellm/svc-a", null, "key"))
                    .orElseThrow()
                    .data()
                    .get("key");
        assertThat(KeyMaterial.ref(newValue)).isEqualTo(result.newKey());
      } finally {
        env.close();
        ctx.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(capture);
        ctx.getLogger(AuditLog.LOGGER).detachAppender(capture);
      }
    }
  }

  static RedactingLayout layout(LoggerContext ctx, String format) {
    RedactingLayout l = new RedactingLayout();
    l.setContext(ctx);
    l.setFormat(format);
    l.setPattern("%-5level [%X{WorkflowId:-}] %logger - %msg %mdc%n%ex");
    l.start();
    return l;
  }

  /** Everything an event carries that could reach a log line, before any masking. */
  static String raw(ILoggingEvent e) {
    return e.getLoggerName()
        + " "
        + e.getFormattedMessage()
        + " "
        + e.getMDCPropertyMap()
        + " "
        + e.getKeyValuePairs()
        + (e.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(e.getThrowableProxy()));
  }

  @Test
  void theRotationWasLoggedAtDebug() {
    assertThat(events).hasSizeGreaterThan(20);
    assertThat(events).anyMatch(e -> e.getLevel() == Level.DEBUG);
    assertThat(oldValue).startsWith("sk-");
    assertThat(newValue).startsWith("sk-").isNotEqualTo(oldValue);
  }

  @Test
  void noKeyValueIsLoggedByAnyone() {
    for (ILoggingEvent e : events) {
      assertThat(raw(e))
          .as("a log event of %s", e.getLoggerName())
          .doesNotContain(oldValue)
          .doesNotContain(newValue)
          .doesNotContain(MASTER)
          .doesNotContain(rootToken);
    }
  }

  @Test
  void noKeyValueIsWrittenInTextOrJson() {
    for (String line : written) {
      assertThat(line)
          .doesNotContain(oldValue)
          .doesNotContain(newValue)
          .doesNotContain(MASTER)
          .doesNotContain(rootToken);
    }
  }

  @Test
  void everyStepHasOneAuditLineWithFingerprintsAndOutcome() throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> audit = new ArrayList<>();
    for (ILoggingEvent e : events) {
      if (e.getLoggerName().equals(AuditLog.LOGGER)) {
        audit.add(json.readTree(e.getFormattedMessage()));
      }
    }
    assertThat(audit.stream().map(a -> a.get("step").asText()))
        .containsExactly(
            "Start",
            "CheckDestination",
            "ImportPolicy",
            "MintKey",
            "VerifyKey",
            "PublishTo",
            "KeyUse",
            "DeleteKey",
            "ConfirmRevoked",
            "End");
    JsonNode mint = audit.get(3);
    assertThat(mint.get("secret").asText()).isEqualTo("svc-a");
    assertThat(mint.get("generation").asLong()).isEqualTo(1);
    assertThat(mint.get("started_by").asText()).isEqualTo("log-test");
    assertThat(mint.get("outcome").asText()).isEqualTo("succeeded");
    assertThat(mint.get("keys").toString())
        .contains(KeyMaterial.ref(oldValue).fingerprint())
        .contains(KeyMaterial.ref(newValue).fingerprint());
    assertThat(audit.get(8).get("outcome").asText()).isEqualTo("succeeded");
  }
}
