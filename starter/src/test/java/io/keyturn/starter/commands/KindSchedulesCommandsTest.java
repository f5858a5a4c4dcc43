package io.keyturn.starter.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.starter.CliRunner;
import io.keyturn.starter.CliRunner.Run;
import io.keyturn.starter.TemporalClients;
import io.keyturn.starter.schedules.SchedulePlan;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.operator.OperatorRotationRequest;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleIntervalSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * plan and apply for the schedules that are not plain rotations: a {@code masterKeys:} entry with a
 * {@code schedule:} (issue 13) and a secret rotated through the LiteLLM operator (issue 19). Run
 * in-process against the real Temporal dev server, without a worker: schedules are created and
 * described, never run.
 */
class KindSchedulesCommandsTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final DevTemporal temporal = DevTemporal.server();

  static final CliRunner CLI =
      CliRunner.with(TemporalClients.grpc()).skippingChecksOf("plan", "apply");

  @TempDir Path dir;
  final Map<String, String> env = new HashMap<>();

  @BeforeEach
  void clean() throws Exception {
    temporal.deleteSchedules();
    env.putAll(temporal.cliEnv());
  }

  Run run(String... args) {
    return CLI.run(env, args);
  }

  static ScheduleDescription describe(String scheduleId) {
    return temporal.schedules().getHandle(scheduleId).describe();
  }

  static boolean exists(String scheduleId) {
    return SchedulePlan.describe(temporal.schedules().getHandle(scheduleId)).isPresent();
  }

  static final String MASTER =
      """
      apiVersion: keyturn/v1
      masterKeys:
        - id: prod
          gateway: {url: http://127.0.0.1:4000}
          destinations: [{type: vault-kv2, name: litellm-master, field: LITELLM_MASTER_KEY}]
          saltKey: false
          restart: {mode: webhook, url: "http://127.0.0.1:9000/restart"}
          schedule: {every: 90d, jitter: 1h}
        - id: staging
          gateway: {url: http://127.0.0.1:4001}
          destinations: [{type: vault-kv2, name: litellm-master-staging}]
          saltKey: true
          restart: {mode: manual, deadline: 2h}
          schedule: {cron: "0 3 * * 1", timezone: Europe/Paris, paused: true}
        - id: adhoc
          gateway: {url: http://127.0.0.1:4002}
          destinations: [{type: vault-kv2, name: litellm-master-adhoc}]
          saltKey: true
          restart: {mode: manual}
      """;

  Path write(String yaml) throws Exception {
    Path f = dir.resolve("keyturn.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void applySchedulesMasterKeysThatHaveAScheduleAndTheLauncherStartsTheMasterKeyWorkflow()
      throws Exception {
    Path f = write(MASTER);

    Run plan = run("plan", "-f", f.toString());
    assertThat(plan.exit()).as(plan.all()).isZero();
    assertThat(plan.out())
        .contains("+ create     keyturn/master-key/prod")
        .contains("+ create     keyturn/master-key/staging")
        .contains("keyturn confirm-restart master-key/staging")
        .contains("2 to create")
        .doesNotContain("adhoc");
    assertThat(plan.out().lines().filter(l -> l.contains("master-key/prod")).findFirst().get())
        .doesNotContain("confirm-restart");
    assertThat(exists("keyturn/master-key/prod")).isFalse();

    Run apply = run("apply", "-f", f.toString());
    assertThat(apply.exit()).as(apply.all()).isZero();
    assertThat(apply.out()).contains("2 created");

    ScheduleDescription prod = describe("keyturn/master-key/prod");
    assertThat(prod.getSchedule().getSpec().getIntervals())
        .extracting(ScheduleIntervalSpec::getEvery)
        .containsExactly(Duration.ofDays(90));
    assertThat(prod.getSchedule().getPolicy().getOverlap())
        .isEqualTo(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
    ScheduleActionStartWorkflow action =
        (ScheduleActionStartWorkflow) prod.getSchedule().getAction();
    assertThat(action.getWorkflowType()).isEqualTo("MasterKeyLauncher");
    assertThat(action.getOptions().getTaskQueue()).isEqualTo(KeyRotationWorkflow.TASK_QUEUE);
    MasterKeyRequest req = action.getArguments().get(0, MasterKeyRequest.class);
    assertThat(req.workflowId()).isEqualTo("master-key/prod");
    assertThat(req.saltKey()).isFalse();
    assertThat(req.restart().mode()).isEqualTo("webhook");
    assertThat(req.requestedBy()).isEqualTo("schedule keyturn/master-key/prod");
    assertThat(describe("keyturn/master-key/staging").getSchedule().getState().isPaused()).isTrue();

    Run again = run("plan", "-f", f.toString(), "--json");
    JsonNode o = JSON.readTree(again.out());
    assertThat(o.path("hasChanges").asBoolean()).as(again.all()).isFalse();
    assertThat(o.path("summary").path("unchanged").asInt()).isEqualTo(2);

    // A changed restart is an update naming it; a schedule removed is left in place or pruned.
    write(
        MASTER
            .replace("\"http://127.0.0.1:9000/restart\"", "\"http://127.0.0.1:9001/restart\"")
            .replace(
                "    schedule: {cron: \"0 3 * * 1\", timezone: Europe/Paris, paused: true}\n", ""));
    Run edited = run("plan", "-f", f.toString());
    assertThat(edited.out())
        .contains("~ update     keyturn/master-key/prod")
        .contains("changed: restart")
        .contains("! keep       keyturn/master-key/staging");
    Run pruned = run("apply", "-f", f.toString(), "--prune");
    assertThat(pruned.exit()).as(pruned.all()).isZero();
    assertThat(exists("keyturn/master-key/staging")).isFalse();
    MasterKeyRequest updated =
        ((ScheduleActionStartWorkflow)
                describe("keyturn/master-key/prod").getSchedule().getAction())
            .getArguments()
            .get(0, MasterKeyRequest.class);
    assertThat(updated.restart().url()).isEqualTo("http://127.0.0.1:9001/restart");
  }

  @Test
  void aBadMasterKeyScheduleIsRefusedAndNothingIsCreated() throws Exception {
    Path f = write(MASTER.replace("{every: 90d, jitter: 1h}", "{every: 1d, jitter: 2d}"));
    Run apply = run("apply", "-f", f.toString());
    assertThat(apply.exit()).as(apply.all()).isEqualTo(2);
    assertThat(apply.all()).contains("masterKeys[0].schedule.jitter");
    Run both =
        run("apply", "-f", write(MASTER.replace("{every: 90d, jitter: 1h}", "{}")).toString());
    assertThat(both.exit()).as(both.all()).isEqualTo(2);
    assertThat(both.all()).contains("masterKeys[0].schedule");
    assertThat(exists("keyturn/master-key/prod")).isFalse();
    assertThat(exists("keyturn/master-key/staging")).isFalse();
  }

  static final String OPERATOR =
      """
      apiVersion: keyturn/v1
      secrets:
        - id: billing-api
          gateway: {url: http://127.0.0.1:4000}
          operator: {virtualKey: litellm/billing-api}
          destinations: [{type: kubernetes-secret, name: billing-api-key, namespace: apps}]
          schedule: {every: 30d}
          grace: 2h
      """;

  @Test
  void aSecretTheOperatorManagesIsScheduledAsARotationThroughTheOperator() throws Exception {
    Path f = write(OPERATOR);
    Run plan = run("plan", "-f", f.toString());
    assertThat(plan.exit()).as(plan.all()).isZero();
    assertThat(plan.out())
        .contains("+ create     keyturn/billing-api")
        .contains("rotation through the operator (VirtualKey litellm/billing-api)");

    Run apply = run("apply", "-f", f.toString());
    assertThat(apply.exit()).as(apply.all()).isZero();
    ScheduleDescription d = describe("keyturn/billing-api");
    ScheduleActionStartWorkflow action = (ScheduleActionStartWorkflow) d.getSchedule().getAction();
    assertThat(action.getWorkflowType()).isEqualTo("OperatorRotationLauncher");
    assertThat(d.getSchedule().getPolicy().getOverlap())
        .isEqualTo(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
    OperatorRotationRequest req = action.getArguments().get(0, OperatorRotationRequest.class);
    assertThat(req.secretId()).isEqualTo("billing-api");
    assertThat(req.virtualKey()).isEqualTo("litellm/billing-api");
    assertThat(req.grace()).isEqualTo(Duration.ofHours(2));
    assertThat(req.destinations()).hasSize(1);
    assertThat(req.requestedBy()).isEqualTo("schedule keyturn/billing-api");

    Run again = run("plan", "-f", f.toString());
    assertThat(again.out()).contains("No changes.");

    // Dropping operator: turns it back into a plain rotation: an update naming the field.
    write(
        OPERATOR.replace("    operator: {virtualKey: litellm/billing-api}\n", "")
            + "    currentKey: {keyHash: "
            + "ab".repeat(32)
            + "}\n");
    Run plain = run("plan", "-f", f.toString());
    assertThat(plain.out()).contains("~ update     keyturn/billing-api").contains("operator");
    assertThat(run("apply", "-f", f.toString()).exit()).isZero();
    assertThat(
            ((ScheduleActionStartWorkflow)
                    describe("keyturn/billing-api").getSchedule().getAction())
                .getWorkflowType())
        .isEqualTo("RotationLauncher");
  }
}
