package io.keyturn.worker.observe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.KeyRotationWorkflowImpl;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.GraceChange;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationStatus;
import io.keyturn.workflows.testing.Rotations;
import io.keyturn.workflows.testing.SecretStoreStandIn;
import io.temporal.api.enums.v1.IndexedValueType;
import io.temporal.client.WorkflowFailedException;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import io.temporal.worker.WorkerFactoryOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * A scripted run of successful and failing rotations through the real workflow, with the worker's
 * interceptor, then a scrape of /metrics: the values are what happened. The alert rules in
 * deploy/prometheus are checked against the names that scrape shows.
 */
class RotationMetricsTest {
  static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");
  static TestWorkflowEnvironment env;
  static RotationMetrics metrics;
  static MetricsServer server;
  static Scrape scrape;

  @BeforeAll
  static void run() throws Exception {
    metrics = new RotationMetrics();
    RotationInterceptor interceptor =
        new RotationInterceptor(metrics, Clock.fixed(NOW, ZoneOffset.UTC));
    env =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setWorkerFactoryOptions(
                    WorkerFactoryOptions.newBuilder().setWorkerInterceptors(interceptor).build())
                .build());
    env.registerSearchAttribute("KeyturnSecretId", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    env.registerSearchAttribute("KeyturnPhase", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    env.registerSearchAttribute("KeyturnGateway", IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);
    env.registerSearchAttribute("KeyturnGeneration", IndexedValueType.INDEXED_VALUE_TYPE_INT);
    Worker worker = env.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    worker.registerWorkflowImplementationTypes(KeyRotationWorkflowImpl.class);
    worker.registerActivitiesImplementations(
        new FakeActivities.Gateway(), new SecretStoreStandIn());
    env.start();
    server = MetricsServer.start("127.0.0.1", 0, metrics::scrape);

    rotate("svc-a", 1);
    rotate("svc-a", 2);
    rotate(FakeActivities.HELD_SECRET, 1);
    assertThatThrownBy(() -> rotate(FakeActivities.FAILING_SECRET, 1))
        .isInstanceOf(WorkflowFailedException.class);
    // What the periodic visibility read would set; the test server has no schedules to describe.
    metrics.nextRotation("svc-a", NOW.plus(Duration.ofDays(30)).getEpochSecond());
    new VisibilityGauges(env.getWorkflowClient(), null, metrics).run();
    // What a drift check and an orphan sweep report (KeyAuditActivitiesImpl's listener).
    metrics.drift("svc-a", "drift");
    metrics.drift("svc-b", "ok");
    metrics.orphanKeys(2);
    scrape = Scrape.of(server.port());
  }

  @AfterAll
  static void stop() {
    server.close();
    env.close();
  }

  static void rotate(String secret, long generation) {
    RotationRequest req =
        RotationRequest.builder(secret)
            .generation(generation)
            .gatewayUrl("http://127.0.0.1:4000")
            .oldKey(KeyMaterial.ref("sk-fake-old-" + secret + "-0123456789"))
            .destinations(new Destination("vault-kv2", java.util.Map.of("name", secret)))
            .gracePeriod(Duration.ofHours(1))
            .requestedBy("test")
            .build();
    Rotations.stub(env.getWorkflowClient(), req).rotate(req);
  }

  @Test
  void countsRotationsBySecretOutcomeAndFailureType() {
    assertThat(scrape.value("keyturn_rotations_started_total", Map.of("secret", "svc-a")))
        .isEqualTo(2.0);
    assertThat(scrape.value("keyturn_rotations_started_total", Map.of("secret", "svc-bad")))
        .isEqualTo(1.0);
    assertThat(
            scrape.value(
                "keyturn_rotations_completed_total",
                Map.of("secret", "svc-a", "outcome", "succeeded", "failure_type", "")))
        .isEqualTo(2.0);
    assertThat(
            scrape.value(
                "keyturn_rotations_completed_total",
                Map.of(
                    "secret",
                    "svc-bad",
                    "outcome",
                    "rolled_back",
                    "failure_type",
                    RotationFailures.VERIFY_FAILED)))
        .isEqualTo(1.0);
    assertThat(
            scrape.value(
                "keyturn_rotations_completed_total",
                Map.of("secret", "svc-bad", "outcome", "succeeded")))
        .isNull();
  }

  @Test
  void countsThrottlingByGatewayAndShowsThePace() {
    RotationMetrics m = new RotationMetrics();
    m.gatewayThrottled("http://litellm:4000", 12.0);
    m.gatewayThrottled("http://litellm:4000", 9.0);
    Scrape s = new Scrape(m.scrape());
    Map<String, String> gw = Map.of("gateway", "http://litellm:4000");
    assertThat(s.value("keyturn_gateway_throttled_total", gw)).isEqualTo(2.0);
    assertThat(s.value("keyturn_gateway_pace_calls_per_second", gw)).isEqualTo(9.0);
  }

  @Test
  void timesEachStepWithItsOutcome() {
    assertThat(
            scrape.value(
                "keyturn_activity_duration_seconds_count",
                Map.of("activity", "MintKey", "secret", "svc-a", "outcome", "succeeded")))
        .isEqualTo(2.0);
    assertThat(
            scrape.value(
                "keyturn_activity_duration_seconds_count",
                Map.of(
                    "activity",
                    "VerifyKey",
                    "secret",
                    "svc-bad",
                    "outcome",
                    "failed",
                    "failure_type",
                    RotationFailures.VERIFY_FAILED)))
        .isEqualTo(1.0);
    // The rollback's compensation is a step too; the failed rotation never reached revoke.
    assertThat(
            scrape.value(
                "keyturn_activity_duration_seconds_count",
                Map.of(
                    "activity", "DiscardDerivedKey", "secret", "svc-bad", "outcome", "succeeded")))
        .isEqualTo(1.0);
    assertThat(
            scrape.value(
                "keyturn_activity_duration_seconds_count",
                Map.of("activity", "DeleteKey", "secret", "svc-bad")))
        .isNull();
    assertThat(
            scrape.value(
                "keyturn_activity_duration_seconds_count",
                Map.of("activity", "ConfirmRevoked", "secret", "svc-bad")))
        .isNull();
  }

  @Test
  void gaugesLastSuccessExpiryGraceAndNextRun() {
    assertThat(scrape.value("keyturn_last_success_timestamp_seconds", Map.of("secret", "svc-a")))
        .isEqualTo((double) NOW.getEpochSecond());
    assertThat(scrape.value("keyturn_last_success_timestamp_seconds", Map.of("secret", "svc-bad")))
        .isNull();
    assertThat(scrape.value("keyturn_key_expiry_timestamp_seconds", Map.of("secret", "svc-a")))
        .isEqualTo((double) Instant.parse(FakeActivities.EXPIRES).getEpochSecond());
    // Grace ended when revoke began: back to 0.
    assertThat(scrape.value("keyturn_grace_ends_timestamp_seconds", Map.of("secret", "svc-a")))
        .isEqualTo(0.0);
    assertThat(scrape.value("keyturn_next_rotation_timestamp_seconds", Map.of("secret", "svc-a")))
        .isEqualTo((double) NOW.plus(Duration.ofDays(30)).getEpochSecond());
    assertThat(scrape.value("keyturn_keys_in_grace", Map.of())).isNotNull();
  }

  @Test
  void anExtendedGracePeriodMovesItsGaugeSoTheAlertWaitsForTheNewEnd() throws Exception {
    RotationRequest req =
        RotationRequest.builder("svc-ext")
            .generation(1)
            .gatewayUrl("http://127.0.0.1:4000")
            .oldKey(KeyMaterial.ref("sk-fake-old-svc-ext-0123456789"))
            .destinations(new Destination("vault-kv2", java.util.Map.of("name", "svc-ext")))
            .gracePeriod(Duration.ofHours(1))
            .requestedBy("test")
            .build();
    KeyRotationWorkflow wf = Rotations.start(env.getWorkflowClient(), req);
    Rotations.reaches(wf, RotationPhase.IN_GRACE);
    RotationStatus s =
        wf.changeGrace(new GraceChange(GraceChange.Kind.EXTEND_BY, Duration.ofHours(48), "alice"));
    assertThat(
            Scrape.of(server.port())
                .value("keyturn_grace_ends_timestamp_seconds", Map.of("secret", "svc-ext")))
        .isEqualTo((double) Instant.parse(s.graceEndsAt()).getEpochSecond());
  }

  /** PromQL words that are not metric names. */
  static final Set<String> PROMQL_WORDS =
      Set.of(
          "and",
          "or",
          "unless",
          "by",
          "without",
          "on",
          "ignoring",
          "group_left",
          "group_right",
          "offset",
          "bool",
          "time");

  static Set<String> metricNames(String expr) {
    String e =
        expr.replaceAll("\"(\\\\.|[^\"])*\"", "")
            .replaceAll("\\{[^}]*}", " ")
            .replaceAll("\\[[^]]*]", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*(\\s*\\()?").matcher(e);
    while (m.find()) {
      String w = m.group();
      if (!w.endsWith("(") && !PROMQL_WORDS.contains(w.trim())) {
        names.add(w.trim());
      }
    }
    return names;
  }

  @Test
  void countsARevokeHeldByTheDrainGateAndLowersTheGaugeWhenItEnds() {
    Map<String, String> held = Map.of("secret", FakeActivities.HELD_SECRET);
    assertThat(scrape.value("keyturn_revoke_holds_total", held)).isEqualTo(1.0);
    assertThat(scrape.value("keyturn_revoke_held", held)).isEqualTo(0.0);
    assertThat(scrape.value("keyturn_revoke_holds_total", Map.of("secret", "svc-a"))).isNull();
  }

  @Test
  void everyAlertRuleUsesOnlyMetricsTheWorkerExports() throws Exception {
    Path rules = Path.of("../deploy/prometheus/alerts.yml");
    Map<String, Object> doc = new Yaml().load(Files.readString(rules));
    List<String> checked = new ArrayList<>();
    for (Object g : (List<?>) doc.get("groups")) {
      for (Object r : (List<?>) ((Map<?, ?>) g).get("rules")) {
        Map<?, ?> rule = (Map<?, ?>) r;
        String expr = (String) rule.get("expr");
        Set<String> names = metricNames(expr);
        assertThat(names).as("metric names in %s: %s", rule.get("alert"), expr).isNotEmpty();
        assertThat(scrape.names())
            .as("alert %s uses metrics the worker does not export", rule.get("alert"))
            .containsAll(names);
        checked.add((String) rule.get("alert"));
      }
    }
    assertThat(checked)
        .contains(
            "KeyturnRotationFailed",
            "KeyturnRotationOverdue",
            "KeyturnKeyOlderThanPolicy",
            "KeyturnGraceNotEnding",
            "KeyturnDrift",
            "KeyturnOrphanKeys",
            "KeyturnRevokeHeld");
  }

  @Test
  void driftAndOrphansAreGaugesBySecretAndInTotal() {
    assertThat(scrape.value("keyturn_drift", Map.of("secret", "svc-a"))).isEqualTo(1.0);
    assertThat(scrape.value("keyturn_drift", Map.of("secret", "svc-b"))).isEqualTo(0.0);
    assertThat(scrape.value("keyturn_orphan_keys", Map.of())).isEqualTo(2.0);
  }

  @Test
  void theRuleCheckerSeesAMetricThatIsNotExported() {
    assertThat(metricNames("increase(keyturn_nope_total{outcome!=\"x\"}[1h]) > 0 and time() > 1"))
        .containsExactly("keyturn_nope_total");
    assertThat(scrape.names()).doesNotContain("keyturn_nope_total");
  }
}
