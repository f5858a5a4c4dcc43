package io.keyturn.worker;

import com.uber.m3.tally.RootScopeBuilder;
import com.uber.m3.tally.Scope;
import io.keyturn.activities.audit.KeyAuditActivitiesImpl;
import io.keyturn.activities.audit.TemporalRotations;
import io.keyturn.activities.litellm.LiteLlmActivitiesImpl;
import io.keyturn.activities.store.SecretStoreActivitiesImpl;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.worker.codec.CodecServer;
import io.keyturn.worker.config.CodecSettings;
import io.keyturn.worker.config.MetricsSettings;
import io.keyturn.worker.config.VaultSettings;
import io.keyturn.worker.config.WorkerSettings;
import io.keyturn.worker.observe.MetricsServer;
import io.keyturn.worker.observe.RotationInterceptor;
import io.keyturn.worker.observe.RotationMetrics;
import io.keyturn.worker.observe.VisibilityGauges;
import io.keyturn.workflows.DriftCheckWorkflowImpl;
import io.keyturn.workflows.FleetRotationWorkflowImpl;
import io.keyturn.workflows.KeyRotationWorkflowImpl;
import io.keyturn.workflows.OrphanSweepWorkflowImpl;
import io.keyturn.workflows.RotationCheckWorkflowImpl;
import io.keyturn.workflows.RotationLauncherWorkflowImpl;
import io.keyturn.workflows.WorkerKeysWorkflow;
import io.keyturn.workflows.WorkerKeysWorkflowImpl;
import io.keyturn.workflows.client.TemporalConnection;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.crypto.WorkerPublicKey;
import io.keyturn.workflows.model.WorkerKeys;
import io.micronaut.context.annotation.Context;
import io.micronaut.context.annotation.Requires;
import io.temporal.client.WorkflowClient;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.common.converter.DataConverter;
import io.temporal.common.reporter.MicrometerClientStatsReporter;
import io.temporal.serviceclient.WorkflowServiceStubs;
import io.temporal.serviceclient.WorkflowServiceStubsOptions;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactory;
import io.temporal.worker.WorkerFactoryOptions;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hosts the rotation workflow and its activities on one task queue. Started eagerly with the
 * application context; on shutdown (SIGTERM closes the context) it stops polling and lets running
 * activities finish for up to 30 seconds. Anything unfinished is retried by Temporal on another
 * worker, or on this one after a restart.
 */
@Context
@Requires(property = "keyturn.worker.enabled", notEquals = "false")
public class TemporalWorkerService {
  private static final Logger log = LoggerFactory.getLogger(TemporalWorkerService.class);

  private final WorkerSettings settings;
  private final VaultSettings vault;
  private final MetricsSettings metricsSettings;
  private final CodecSettings codecSettings;
  private final TemporalConnection conn;
  private final WorkerKeyring keyring;
  private final PayloadKeys payloadKeys;
  private final RotationMetrics metrics;
  private final LiteLlmActivitiesImpl litellmActivities;
  private final SecretStoreActivitiesImpl storeActivities;
  private final LiteLlmClient litellmClient;
  private final io.keyturn.activities.master.MasterKeyActivitiesImpl masterKeyActivities;
  private final io.keyturn.activities.operator.OperatorActivitiesImpl operatorActivities;
  private final io.keyturn.activities.provider.ProviderKeyActivitiesImpl providerKeyActivities;
  private WorkflowServiceStubs stubs;
  private WorkerFactory factory;
  private Scope sdkScope;
  private MetricsServer metricsServer;
  private CodecServer codecServer;
  private ScheduledExecutorService gauges;

  /**
   * Everything here is built from settings {@link WorkerBeans} has checked, all problems named at
   * once, before this service exists.
   */
  TemporalWorkerService(
      WorkerSettings settings,
      VaultSettings vault,
      MetricsSettings metricsSettings,
      CodecSettings codecSettings,
      TemporalConnection conn,
      WorkerKeyring keyring,
      PayloadKeys payloadKeys,
      RotationMetrics metrics,
      LiteLlmActivitiesImpl litellmActivities,
      SecretStoreActivitiesImpl storeActivities,
      LiteLlmClient litellmClient,
      io.keyturn.activities.master.MasterKeyActivitiesImpl masterKeyActivities,
      io.keyturn.activities.operator.OperatorActivitiesImpl operatorActivities,
      io.keyturn.activities.provider.ProviderKeyActivitiesImpl providerKeyActivities) {
    this.settings = settings;
    this.vault = vault;
    this.metricsSettings = metricsSettings;
    this.codecSettings = codecSettings;
    this.conn = conn;
    this.keyring = keyring;
    this.payloadKeys = payloadKeys;
    this.metrics = metrics;
    this.litellmActivities = litellmActivities;
    this.storeActivities = storeActivities;
    this.litellmClient = litellmClient;
    this.masterKeyActivities = masterKeyActivities;
    this.operatorActivities = operatorActivities;
    this.providerKeyActivities = providerKeyActivities;
  }

  /** The port /metrics is served on, or -1 when metrics are off. */
  public int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.port();
  }

  /** The port the codec endpoint listens on, or -1 when it is off. */
  public int codecPort() {
    return codecServer == null ? -1 : codecServer.port();
  }

  /**
   * Loads and initialises what workflow tasks use (JSON mapping of the model records, the AES-GCM
   * codec and its random source) before the worker polls, so that the first workflow tasks on a
   * starved machine do not spend their deadlock-detection second (TMPRL1101) loading classes.
   */
  static void warmUp(DataConverter dataConverter) {
    var sample =
        new io.keyturn.workflows.model.RotationStatus(
            "warm-up",
            1,
            io.keyturn.workflows.model.RotationPhase.STARTING,
            null,
            null,
            null,
            null,
            null,
            false,
            "warming up");
    var payloads = dataConverter.toPayloads(sample).orElseThrow();
    dataConverter.fromPayloads(
        0,
        java.util.Optional.of(payloads),
        io.keyturn.workflows.model.RotationStatus.class,
        io.keyturn.workflows.model.RotationStatus.class);
  }

  @PostConstruct
  void start() {
    KeyRotationWorkflowImpl.stepDeadline(settings.stepDeadline());
    sdkScope =
        new RootScopeBuilder()
            .reporter(new MicrometerClientStatsReporter(metrics.registry()))
            .reportEvery(com.uber.m3.util.Duration.ofSeconds(10));
    stubs = withMetrics(conn.openStubs(), sdkScope);
    SearchAttributeRegistration.ensure(stubs, conn.namespace());
    // Every payload this worker writes to history is encrypted; see KeyturnPayloadCodec.
    DataConverter dataConverter = KeyturnPayloadCodec.dataConverter(payloadKeys);
    warmUp(dataConverter);
    WorkflowClient client = conn.client(stubs, dataConverter);
    factory =
        WorkerFactory.newInstance(
            client,
            WorkerFactoryOptions.newBuilder()
                .setWorkerInterceptors(new RotationInterceptor(metrics, Clock.systemUTC()))
                .build());
    Worker worker = factory.newWorker(settings.taskQueue());
    worker.registerWorkflowImplementationTypes(
        KeyturnPayloadCodec.WORKFLOW_OPTIONS,
        KeyRotationWorkflowImpl.class,
        RotationLauncherWorkflowImpl.class,
        FleetRotationWorkflowImpl.class,
        // The CLI's check before it starts a rotation: the destinations, with this worker's access.
        RotationCheckWorkflowImpl.class,
        // Orphans and drift: read stores, proxies and Temporal with this worker's access.
        OrphanSweepWorkflowImpl.class,
        DriftCheckWorkflowImpl.class,
        io.keyturn.workflows.MasterKeyRotationWorkflowImpl.class,
        // Keys the LiteLLM operator manages, rotated through it (blue/green VirtualKeys).
        io.keyturn.workflows.operator.OperatorRotationWorkflowImpl.class,
        io.keyturn.workflows.ProviderKeyRotationWorkflowImpl.class,

        // What schedules of master keys, operator-managed keys and provider keys start.
        io.keyturn.workflows.MasterKeyLauncherWorkflowImpl.class,
        io.keyturn.workflows.operator.OperatorRotationLauncherWorkflowImpl.class,
        io.keyturn.workflows.ProviderKeyLauncherWorkflowImpl.class);
    // The CLI asks through Temporal which keys this worker holds before it starts anything.
    WorkerKeys answer =
        new WorkerKeys(
            keyring.currentKeyId(),
            keyring.publicKeys().stream().map(WorkerPublicKey::text).toList(),
            payloadKeys.currentId(),
            payloadKeys.ids());
    factory
        .newWorker(WorkerKeysWorkflow.taskQueueFor(settings.taskQueue()))
        .registerWorkflowImplementationFactory(
            WorkerKeysWorkflow.class, () -> new WorkerKeysWorkflowImpl(answer));
    worker.registerActivitiesImplementations(
        litellmActivities,
        storeActivities,
        new KeyAuditActivitiesImpl(
            litellmClient,
            storeActivities,
            new TemporalRotations(client, java.time.Duration.ofSeconds(10)),
            new KeyAuditActivitiesImpl.Listener() {
              @Override
              public void orphans(int count) {
                metrics.orphanKeys(count);
              }

              @Override
              public void drift(String secretId, String state) {
                metrics.drift(secretId, state);
              }
            },
            Clock.systemUTC()),
        masterKeyActivities,
        operatorActivities,
        providerKeyActivities);
    // A provider-key rotation does not start while a master-key rotation of its proxy runs.
    providerKeyActivities.workflowRunning(
        id -> {
          try {
            return client.newUntypedWorkflowStub(id).describe().getStatus()
                == io.temporal.api.enums.v1.WorkflowExecutionStatus
                    .WORKFLOW_EXECUTION_STATUS_RUNNING;
          } catch (io.temporal.client.WorkflowNotFoundException e) {
            return false;
          }
        });
    // Master-key and provider-key rotations of one proxy never overlap: each preflight asks
    // Temporal's visibility for the other tier's running rotations (schedules included).
    io.keyturn.activities.audit.RunningOnProxy onProxy =
        io.keyturn.activities.audit.RunningOnProxy.of(client);
    providerKeyActivities.runningOnProxy(onProxy);
    masterKeyActivities.runningOnProxy(onProxy);
    factory.start();
    startMetrics(client, conn.namespace());
    startCodecEndpoint(KeyturnPayloadCodec.of(payloadKeys));
    log.info(
        "Keyturn worker started: task queue {} on {} (worker keys {}, current {}; payload key {};"
            + " Vault {} with {})",
        settings.taskQueue(),
        conn,
        keyring.keyIds(),
        keyring.currentKeyId(),
        payloadKeys.currentId(),
        vault.address(),
        vault.missing() ? "no credentials" : vault.usesAppRole() ? "AppRole" : "a token");
  }

  /**
   * The same stubs with the SDK's metrics scope. TemporalConnection opens its stubs without one, so
   * they are reopened (connection is lazy: nothing was dialled yet) from a copy of their options.
   */
  private static WorkflowServiceStubs withMetrics(WorkflowServiceStubs plain, Scope scope) {
    WorkflowServiceStubsOptions options =
        WorkflowServiceStubsOptions.newBuilder(plain.getOptions()).setMetricsScope(scope).build();
    plain.shutdownNow();
    return WorkflowServiceStubs.newServiceStubs(options);
  }

  private void startMetrics(WorkflowClient client, String namespace) {
    String metricsHost = metricsSettings.host();
    int metricsPort = metricsSettings.port();
    if (!metricsSettings.enabled()) {
      log.info("metrics endpoint off (KEYTURN_METRICS_PORT={})", metricsPort);
      return;
    }
    try {
      metricsServer = MetricsServer.start(metricsHost, metricsPort, metrics::scrape);
    } catch (IOException e) {
      // Rotations matter more than their metrics: say so loudly and keep rotating.
      log.error(
          "cannot serve metrics on {}:{} ({}): set KEYTURN_METRICS_PORT to a free port, or 0 to"
              + " turn metrics off. Rotations continue without the endpoint.",
          metricsHost,
          metricsPort,
          e.toString());
      return;
    }
    ScheduleClient schedules =
        ScheduleClient.newInstance(
            stubs,
            ScheduleClientOptions.newBuilder()
                .setNamespace(namespace)
                .setDataConverter(client.getOptions().getDataConverter())
                .build());
    gauges =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "keyturn-visibility-gauges");
              t.setDaemon(true);
              return t;
            });
    gauges.scheduleWithFixedDelay(
        new VisibilityGauges(client, schedules, metrics), 0, 30, TimeUnit.SECONDS);
    log.info("metrics on http://{}:{}/metrics", metricsHost, metricsServer.port());
  }

  private void startCodecEndpoint(KeyturnPayloadCodec codec) {
    String host = codecSettings.host();
    if (!codecSettings.enabled()) {
      log.info(
          "codec endpoint off (KEYTURN_CODEC_PORT=0): the Temporal UI shows encrypted payloads");
      return;
    }
    try {
      codecServer =
          CodecServer.start(
              host,
              codecSettings.port(),
              codec,
              codecSettings.tokenSource(),
              codecSettings.allowedOrigins());
    } catch (IOException e) {
      // Like metrics: the UI's decoding matters less than rotating. Say so and keep rotating.
      log.error(
          "cannot serve the codec endpoint on {}:{} ({}): set KEYTURN_CODEC_PORT to a free port, or"
              + " 0 to turn it off. Rotations continue; the Temporal UI shows encrypted payloads.",
          host,
          codecSettings.port(),
          e.toString());
      return;
    }
    String url = "http://" + host + ":" + codecServer.port();
    if (!codecSettings.tokenRequired()) {
      if (codecSettings.loopback()) {
        log.warn(
            "codec endpoint {} is UNAUTHENTICATED (no KEYTURN_CODEC_TOKEN): it decodes payloads for"
                + " any process on this machine. It listens on loopback only; set"
                + " KEYTURN_CODEC_TOKEN (or _FILE) before exposing it.",
            url);
      } else {
        log.warn(
            "codec endpoint {} is UNAUTHENTICATED (no KEYTURN_CODEC_TOKEN) and listens on a"
                + " non-loopback address: anyone who can reach it can decode this worker's"
                + " payloads. Set KEYTURN_CODEC_TOKEN (or _FILE), or KEYTURN_CODEC_HOST=127.0.0.1.",
            url);
      }
    }
    log.info(
        "codec endpoint on {} (/encode, /decode; bearer token {}; UI origins {}; payload key {})",
        url,
        codecSettings.tokenRequired() ? "required" : "not required",
        codecSettings.allowedOrigins(),
        codec.keyId());
  }

  @PreDestroy
  void stop() {
    if (gauges != null) {
      gauges.shutdownNow();
    }
    if (codecServer != null) {
      codecServer.close();
    }
    if (metricsServer != null) {
      metricsServer.close();
    }
    if (factory == null) {
      return;
    }
    log.info("Keyturn worker stopping: no new tasks; waiting up to 30 s for running activities");
    factory.shutdown();
    factory.awaitTermination(30, TimeUnit.SECONDS);
    stubs.shutdown();
    try {
      sdkScope.close();
    } catch (com.uber.m3.tally.ScopeCloseException e) {
      log.debug("closing the SDK metrics scope: {}", e.toString());
    }
    // The HTTP client is a bean of WorkerBeans: the context closes it after this service.
    log.info("Keyturn worker stopped");
  }
}
