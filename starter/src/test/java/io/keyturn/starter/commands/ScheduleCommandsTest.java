package io.keyturn.starter.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.starter.CliRunner;
import io.keyturn.starter.CliRunner.Run;
import io.keyturn.starter.TemporalClients;
import io.keyturn.starter.schedules.SchedulePlan;
import io.keyturn.starter.schedules.ScheduledRotations;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.RotationLauncherWorkflowImpl;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.KeyturnPayloadCodec;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.api.history.v1.HistoryEvent;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * plan, apply, list, history, pause, unpause and rotate-now, run in-process against the real
 * Temporal dev server (the in-memory test server has no Schedules). No worker runs: scheduled
 * workflows are started, never executed. Every test starts from a namespace without
 * temporal.schedules().
 */
class ScheduleCommandsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final DevTemporal temporal = DevTemporal.server();

  /** These gateways and stores are made up: the online checks have their own test. */
  static final CliRunner CLI =
      CliRunner.with(TemporalClients.grpc()).skippingChecksOf("plan", "apply");

  @TempDir Path dir;
  final Map<String, String> env = new HashMap<>();
  String rawKey;

  @BeforeEach
  void clean() throws Exception {
    temporal.deleteSchedules();
    env.putAll(temporal.cliEnv());
    rawKey = "sk-" + PayloadKeys.generateBase64().replaceAll("[^A-Za-z0-9]", "").substring(0, 24);
  }

  Run run(String... args) {
    return CLI.run(env, args);
  }

  static boolean exists(String scheduleId) {
    return SchedulePlan.describe(temporal.schedules().getHandle(scheduleId)).isPresent();
  }

  static ScheduleDescription describe(String scheduleId) {
    return temporal.schedules().getHandle(scheduleId).describe();
  }

  static RotationRequest argument(ScheduleDescription d) {
    return ((ScheduleActionStartWorkflow) d.getSchedule().getAction())
        .getArguments()
        .get(0, RotationRequest.class);
  }

  /** Two secrets: billing every 30d from a key file; search on a cron in Paris, paused. */
  Path config(String billingEvery, String billingGrace, boolean withSearch) throws Exception {
    Path key = dir.resolve("billing.key");
    Files.writeString(key, rawKey + "\n");
    String yaml =
        """
        apiVersion: keyturn/v1
        secrets:
          - id: billing
            gateway: {url: http://127.0.0.1:4000}
            currentKey: {file: billing.key}
            destinations:
              - type: vault-kv2
                name: billing
            schedule:
              every: %s
              jitter: 1h
            grace: %s
        """
            .formatted(billingEvery, billingGrace);
    if (withSearch) {
      yaml +=
          """
            - id: search
              gateway: {url: https://litellm.example.com}
              currentKey: {keyHash: %s}
              policy:
                models: [gpt-4o-mini]
                max_budget: 25
              destinations:
                - type: aws-secretsmanager
                  secretId: litellm/search
                  region: eu-west-1
              schedule:
                cron: "0 3 * * 1"
                timezone: Europe/Paris
                paused: true
          """
              .formatted("ab".repeat(32));
    }
    Path f = dir.resolve("keyturn.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void planCreatesNothingApplyCreatesTheSchedulesAndASecondApplyChangesNothing() throws Exception {
    Path f = config("30d", "24h", true);

    Run plan = run("plan", "-f", f.toString());
    assertThat(plan.exit()).as(plan.all()).isZero();
    assertThat(plan.out())
        .contains("+ create     keyturn/billing")
        .contains("+ create     keyturn/search")
        .contains("2 to create");
    assertThat(exists("keyturn/billing")).isFalse();
    assertThat(exists("keyturn/search")).isFalse();

    Run apply = run("apply", "-f", f.toString());
    assertThat(apply.exit()).as(apply.all()).isZero();
    assertThat(apply.out()).contains("created", "2 created");

    ScheduleDescription billing = describe("keyturn/billing");
    assertThat(billing.getSchedule().getSpec().getIntervals())
        .extracting(ScheduleIntervalSpec::getEvery)
        .containsExactly(Duration.ofDays(30));
    assertThat(billing.getSchedule().getSpec().getJitter()).isEqualTo(Duration.ofHours(1));
    assertThat(billing.getSchedule().getPolicy().getOverlap())
        .isEqualTo(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
    assertThat(billing.getSchedule().getState().isPaused()).isFalse();
    ScheduleActionStartWorkflow action =
        (ScheduleActionStartWorkflow) billing.getSchedule().getAction();
    // A launcher: it starts the secret's one rotation, rotation/billing.
    assertThat(action.getWorkflowType()).isEqualTo("RotationLauncher");
    assertThat(action.getOptions().getWorkflowId()).isEqualTo("launch/billing/scheduled");
    assertThat(action.getOptions().getTaskQueue()).isEqualTo(KeyRotationWorkflow.TASK_QUEUE);
    RotationRequest req = argument(billing);
    assertThat(req.generation()).isZero();
    assertThat(req.chainFromStore()).isTrue();
    assertThat(req.oldKey().tokenHash()).isEqualTo(KeyMaterial.tokenHash(rawKey));
    assertThat(req.oldKeySealed()).isNotNull();
    assertThat(req.gracePeriod()).isEqualTo(Duration.ofHours(24));
    assertThat(req.requestedBy()).isEqualTo("schedule keyturn/billing");
    assertThat(req.policy()).isNull();
    assertThat(req.destinations()).hasSize(1);
    assertThat(req.destinations().get(0).settings()).containsEntry("name", "billing");

    ScheduleDescription search = describe("keyturn/search");
    assertThat(search.getSchedule().getState().isPaused()).isTrue();
    assertThat(search.getSchedule().getSpec().getTimeZoneName()).isEqualTo("Europe/Paris");
    assertThat(search.getSchedule().getSpec().getIntervals()).isEmpty();
    RotationRequest sreq = argument(search);
    assertThat(sreq.oldKey().tokenHash()).isEqualTo("ab".repeat(32));
    assertThat(sreq.oldKeySealed()).isNull();
    assertThat(sreq.policy().models()).containsExactly("gpt-4o-mini");
    assertThat(sreq.policy().fields()).containsKey("max_budget");
    assertThat(sreq.gracePeriod()).isEqualTo(Duration.ofHours(24));

    Run again = run("plan", "-f", f.toString(), "--json");
    assertThat(again.exit()).as(again.all()).isZero();
    JsonNode o = JSON.readTree(again.out());
    assertThat(o.path("hasChanges").asBoolean()).isFalse();
    assertThat(o.path("summary").path("unchanged").asInt()).isEqualTo(2);
    Run apply2 = run("apply", "-f", f.toString());
    assertThat(apply2.exit()).as(apply2.all()).isZero();
    assertThat(apply2.out()).contains("0 created, 0 updated").contains("No changes.");
    assertThat(describe("keyturn/billing").getInfo().getLastUpdatedAt())
        .isEqualTo(billing.getInfo().getLastUpdatedAt());
    assertThat(apply.all() + apply2.all() + plan.all()).doesNotContain(rawKey);
  }

  @Test
  void editingTheFileShowsAnUpdateNamingTheFieldsAndApplyMakesIt() throws Exception {
    Path f = config("30d", "24h", false);
    assertThat(run("apply", "-f", f.toString()).exit()).isZero();

    config("14d", "2h", false);
    Run plan = run("plan", "-f", f.toString());
    assertThat(plan.exit()).as(plan.all()).isZero();
    assertThat(plan.out())
        .contains("~ update     keyturn/billing")
        .contains("changed: grace, schedule");
    assertThat(describe("keyturn/billing").getSchedule().getSpec().getIntervals().get(0).getEvery())
        .isEqualTo(Duration.ofDays(30));

    Run apply = run("apply", "-f", f.toString(), "--json");
    assertThat(apply.exit()).as(apply.all()).isZero();
    assertThat(JSON.readTree(apply.out()).path("summary").path("update").asInt()).isEqualTo(1);
    ScheduleDescription d = describe("keyturn/billing");
    assertThat(d.getSchedule().getSpec().getIntervals().get(0).getEvery())
        .isEqualTo(Duration.ofDays(14));
    assertThat(argument(d).gracePeriod()).isEqualTo(Duration.ofHours(2));
    assertThat(run("plan", "-f", f.toString()).out()).contains("No changes.");
  }

  @Test
  void aSecretRemovedFromTheFileKeepsItsScheduleUnlessPruneSaysSo() throws Exception {
    Path f = config("30d", "24h", true);
    assertThat(run("apply", "-f", f.toString()).exit()).isZero();
    DevTemporal.await(
        () -> temporal.scheduleIds().contains("keyturn/search"), "keyturn/search to be listed");

    config("30d", "24h", false);
    Run plan = run("plan", "-f", f.toString());
    assertThat(plan.out()).contains("! keep       keyturn/search").contains("--prune");
    Run apply = run("apply", "-f", f.toString());
    assertThat(apply.exit()).as(apply.all()).isZero();
    assertThat(apply.out()).contains("keyturn/search").contains("left in place");
    assertThat(exists("keyturn/search")).isTrue();

    Run prunePlan = run("plan", "-f", f.toString(), "--prune");
    assertThat(prunePlan.out()).contains("- delete     keyturn/search").contains("1 to delete");
    assertThat(exists("keyturn/search")).isTrue();
    Run prune = run("apply", "-f", f.toString(), "--prune");
    assertThat(prune.exit()).as(prune.all()).isZero();
    assertThat(prune.out()).contains("deleted    keyturn/search").contains("keys");
    assertThat(exists("keyturn/search")).isFalse();
    assertThat(exists("keyturn/billing")).isTrue();
  }

  @Test
  void pauseUnpauseAndListShowTheState() throws Exception {
    Path f = config("30d", "24h", true);
    assertThat(run("apply", "-f", f.toString()).exit()).isZero();
    DevTemporal.await(() -> temporal.scheduleIds().size() == 2, "both schedules to be listed");

    Run pause = run("pause", "billing", "--reason", "gateway migration");
    assertThat(pause.exit()).as(pause.all()).isZero();
    ScheduleDescription d = describe("keyturn/billing");
    assertThat(d.getSchedule().getState().isPaused()).isTrue();
    assertThat(d.getSchedule().getState().getNote()).contains("gateway migration");

    Run list = run("list", "--json");
    assertThat(list.exit()).as(list.all()).isZero();
    JsonNode secrets = JSON.readTree(list.out()).path("secrets");
    assertThat(secrets.size()).isEqualTo(2);
    assertThat(secrets.get(0).path("secretId").asText()).isEqualTo("billing");
    assertThat(secrets.get(0).path("state").asText()).isEqualTo("paused");
    assertThat(secrets.get(0).path("schedule").asText()).isEqualTo("every 30d, jitter 1h");
    assertThat(secrets.get(1).path("schedule").asText()).contains("0 3 * * 1");

    // A hand pause is shown by plan as a change back to the file's state.
    assertThat(run("plan", "-f", f.toString()).out()).contains("~ unpause    keyturn/billing");

    Run unpause = run("unpause", "billing");
    assertThat(unpause.exit()).as(unpause.all()).isZero();
    assertThat(unpause.out())
        .startsWith("keyturn/billing is active (unpaused by ")
        .doesNotContain(": (");
    assertThat(describe("keyturn/billing").getSchedule().getState().isPaused()).isFalse();
    Run text = run("list");
    assertThat(text.out()).contains("billing  active").contains("search  paused");
    assertThat(text.out()).contains("next run");

    Run missing = run("pause", "nope");
    assertThat(missing.exit()).isEqualTo(1);
    assertThat(missing.err()).contains("no schedule keyturn/nope");
  }

  @Test
  void rotateNowWaitFollowsTheRotationTheLauncherStartsToItsOutcome() throws Exception {
    Path f = config("30d", "24h", false);
    assertThat(run("apply", "-f", f.toString()).exit()).isZero();
    try (var worker =
        temporal.runWorkflows(RotationLauncherWorkflowImpl.class, StandInRotation.class)) {
      Run json = run("rotate-now", "billing", "--wait", "--json");
      assertThat(json.exit()).as(json.all()).isZero();
      JsonNode o = JSON.readTree(json.out());
      assertThat(o.path("workflowId").asText()).isEqualTo("rotation/billing");
      assertThat(o.path("workflowStatus").asText()).isEqualTo("COMPLETED");
      assertThat(o.path("launcherWorkflowId").asText()).startsWith("launch/billing/scheduled-");

      // Again: it follows the new run, not the one that already completed.
      Run text = run("rotate-now", "billing", "--wait");
      assertThat(text.exit()).as(text.all()).isZero();
      assertThat(text.out())
          .contains("Started rotation rotation/billing")
          .contains("rotation/billing  COMPLETED");
    }
  }

  @Test
  void rotateNowStartsTheScheduledRotationWithoutThePlaintextKeyAndHistoryListsIt()
      throws Exception {
    Path f = config("30d", "24h", false);
    assertThat(run("apply", "-f", f.toString()).exit()).isZero();

    Run now = run("rotate-now", "billing", "--json");
    assertThat(now.exit()).as(now.all()).isZero();
    assertThat(JSON.readTree(now.out()).path("workflowId").asText()).isEqualTo("rotation/billing");
    String wfId = JSON.readTree(now.out()).path("launcherWorkflowId").asText();
    assertThat(wfId).startsWith("launch/billing/scheduled-");

    HistoryEvent first = temporal.client().fetchHistory(wfId).getHistory().getEvents(0);
    var started = first.getWorkflowExecutionStartedEventAttributes();
    assertThat(started.getWorkflowType().getName()).isEqualTo("RotationLauncher");
    // The schedule's action (and so the started input) was written through the codec.
    assertThat(started.getInput().getPayloadsList()).allMatch(KeyturnPayloadCodec::isEncrypted);
    RotationRequest req =
        temporal
            .client()
            .getOptions()
            .getDataConverter()
            .fromPayload(
                started.getInput().getPayloads(0), RotationRequest.class, RotationRequest.class);
    assertThat(req.chainFromStore()).isTrue();
    assertThat(req.generation()).isZero();
    assertThat(req.oldKey().tokenHash()).isEqualTo(KeyMaterial.tokenHash(rawKey));
    byte[] raw = temporal.client().fetchHistory(wfId).getHistory().toByteArray();
    assertThat(new String(raw, StandardCharsets.ISO_8859_1)).doesNotContain(rawKey);
    assertThat(req.oldKeySealed()).isNotNull();

    // No worker runs, so the launcher never starts rotation/billing: history has none yet.
    assertThat(run("history", "search").out()).contains("No rotations of 'search'");

    // No worker runs, so the rotation stays open: a second one is refused (never two at once).
    DevTemporal.await(
        () -> !describe("keyturn/billing").getInfo().getRunningActions().isEmpty(),
        "the schedule to see its running rotation");
    Run second = run("rotate-now", "billing");
    assertThat(second.exit()).isEqualTo(1);
    assertThat(second.err()).contains("still running").contains("rotation/billing").contains(wfId);
    assertThat(run("list").out()).contains("running").contains("rotation/billing");
    temporal.client().newUntypedWorkflowStub(wfId).terminate("test done");
  }

  @Test
  void anInvalidFileOrAnUnreadableKeyCreatesNothingAndExitsTwo() throws Exception {
    Path f = config("30d", "30d", true);
    Run bad = run("apply", "-f", f.toString());
    assertThat(bad.exit()).isEqualTo(2);
    assertThat(bad.err())
        .contains(f.toString())
        .contains("secrets[0].grace")
        .contains("Fix:")
        .contains("nothing was changed");

    // A valid file whose first secret's key file is missing: the second secret is not created.
    config("30d", "24h", true);
    Files.delete(dir.resolve("billing.key"));
    Run noKey = run("apply", "-f", f.toString(), "--json");
    assertThat(noKey.exit()).isEqualTo(2);
    JsonNode problems = JSON.readTree(noKey.out()).path("problems");
    assertThat(problems.get(0).path("field").asText()).isEqualTo("secret billing.currentKey");
    assertThat(problems.get(0).path("message").asText())
        .isEqualTo("the file " + dir.resolve("billing.key") + " does not exist.");
    assertThat(problems.get(0).path("fix").asText()).isNotBlank();
    Thread.sleep(500);
    assertThat(temporal.scheduleIds()).isEmpty();
    assertThat(exists("keyturn/search")).isFalse();
    assertThat(exists("keyturn/billing")).isFalse();

    Run validate = run("validate", "-f", f.toString());
    assertThat(validate.exit()).as(validate.all()).isZero();
    assertThat(validate.out()).contains("is valid: 2 secret(s)");
  }

  @Test
  void validateNamesEveryDestinationOfASecret() throws Exception {
    Files.writeString(dir.resolve("billing.key"), rawKey + "\n");
    Path f = dir.resolve("keyturn.yaml");
    Files.writeString(
        f,
        """
        apiVersion: keyturn/v1
        secrets:
          - id: billing
            gateway: {url: http://127.0.0.1:4000}
            currentKey: {file: billing.key}
            destinations:
              - type: vault-kv2
                name: billing
              - type: aws-secretsmanager
                secretId: litellm/billing
                region: eu-west-1
            schedule:
              every: 30d
            grace: 1h
        """);
    Run validate = run("validate", "-f", f.toString());
    assertThat(validate.exit()).as(validate.all()).isZero();
    assertThat(validate.out())
        .contains("vault-kv2 secret/litellm/billing")
        .contains("aws-secretsmanager eu-west-1:litellm/billing");
  }

  @Test
  void aScheduleKeyturnDidNotCreateIsAConflictApplyLeavesAlone() throws Exception {
    Path f = config("30d", "24h", false);
    // Created without the managed memo, as another tool would.
    var loaded = io.keyturn.starter.config.ConfigLoader.load(f).get(0);
    temporal
        .schedules()
        .createSchedule(
            "keyturn/billing",
            ScheduledRotations.schedule(loaded, ScheduledRotations.request(loaded, env), true, "x"),
            io.temporal.client.schedules.ScheduleOptions.newBuilder().build());
    Run plan = run("plan", "-f", f.toString());
    assertThat(plan.out()).contains("! conflict   keyturn/billing");
    Run apply = run("apply", "-f", f.toString());
    assertThat(apply.exit()).isEqualTo(1);
    assertThat(apply.err()).contains("nothing was changed");
    assertThat(describe("keyturn/billing").getSchedule().getState().getNote()).isEqualTo("x");
  }

  @Test
  void schemaAndCompletionPrintWithoutTemporal() {
    env.put("TEMPORAL_ADDRESS", "127.0.0.1:1");
    Run schema = run("schema");
    assertThat(schema.exit()).isZero();
    assertThat(schema.out()).contains("\"$schema\"").contains("secrets");
    Run completion = run("completion");
    assertThat(completion.exit()).isZero();
    assertThat(completion.out()).contains("complete -F").contains("rotate-now").contains("apply");
    for (String c :
        List.of("validate", "plan", "apply", "list", "history", "pause", "unpause", "rotate-now")) {
      Run help = run(c, "--help");
      assertThat(help.exit()).as(c).isZero();
      assertThat(help.out()).as(c).contains("Examples:").contains("Exit code");
    }
    Run usage = run("plan");
    assertThat(usage.exit()).isEqualTo(2);
    assertThat(usage.err()).contains("--file");
  }

  @Test
  void aPolicyImportedFromATemplateKeyIsCapturedAtApplyWithWrittenFieldsWinning() throws Exception {
    String master = "sk-master-template-import-000001";
    try (io.keyturn.testkit.litellm.LiteLlmEmulator proxy =
        io.keyturn.testkit.litellm.LiteLlmEmulator.builder().masterKey(master).build().start()) {
      String template =
          proxy.createKey(
              java.util.Map.of(
                  "key_alias",
                  "template",
                  "models",
                  java.util.List.of("gpt-4o-mini"),
                  "rpm_limit",
                  7,
                  "max_budget",
                  5.0));
      Files.writeString(dir.resolve("template.key"), template);
      Files.writeString(dir.resolve("app.key"), rawKey);
      env.put("TPL_MASTER", master);
      Path f = dir.resolve("tpl.yaml");
      Files.writeString(
          f,
          """
              secrets:
                - id: tpl
                  gateway:
                    url: %s
                    managementKey: {env: TPL_MASTER}
                  currentKey: {file: app.key}
                  policy:
                    import: {file: template.key}
                    max_budget: 30
                  destinations:
                    - type: vault-kv2
                      name: tpl
                  schedule: {every: 30d}
              """
              .formatted(proxy.baseUrl()));
      Run apply = run("apply", "-f", f.toString());
      assertThat(apply.exit()).as(apply.all()).isZero();
      RotationRequest req = argument(describe("keyturn/tpl"));
      assertThat(req.policy().fields())
          .containsEntry("rpm_limit", 7)
          .containsEntry("max_budget", 30)
          .containsEntry("models", java.util.List.of("gpt-4o-mini"))
          .doesNotContainKeys("key_alias", "token", "spend", "expires");
      assertThat(apply.all()).doesNotContain(template).doesNotContain(master);

      env.put("TPL_MASTER", "sk-wrong-management-key-0000");
      Files.writeString(f, Files.readString(f).replace("max_budget: 30", "max_budget: 31"));
      Run refused = run("apply", "-f", f.toString());
      assertThat(refused.exit()).isEqualTo(2);
      assertThat(refused.err()).contains("policy.import").contains("cannot import");
      assertThat(argument(describe("keyturn/tpl")).policy().fields())
          .as("unchanged")
          .containsEntry("max_budget", 30);
    }
  }
}
