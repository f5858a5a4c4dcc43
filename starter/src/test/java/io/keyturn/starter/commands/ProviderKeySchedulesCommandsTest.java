package io.keyturn.starter.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.starter.CliRunner;
import io.keyturn.starter.CliRunner.Run;
import io.keyturn.starter.TemporalClients;
import io.keyturn.starter.schedules.SchedulePlan;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.model.ProviderKeyRequest;
import io.temporal.api.enums.v1.ScheduleOverlapPolicy;
import io.temporal.client.schedules.ScheduleActionStartWorkflow;
import io.temporal.client.schedules.ScheduleDescription;
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
 * plan, apply, list and history for {@code providerKeys:} entries with a {@code schedule:}. Run
 * in-process against the real Temporal dev server, without a worker: schedules are created and
 * described, never run.
 */
class ProviderKeySchedulesCommandsTest {
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

  static final String PROVIDERS =
      """
      apiVersion: keyturn/v1
      providerKeys:
        - id: chat
          gateway: {url: http://127.0.0.1:4000}
          modelGroup: gpt-4o-mini
          provider: openai
          project: proj_abc
          grace: 1h
          schedule: {every: 30d, jitter: 1h}
        - id: claude
          gateway: {url: http://127.0.0.1:4000}
          modelGroup: claude-sonnet
          provider: manual
          keyDeadline: 8h
          schedule: {cron: "0 9 1 * *", timezone: Europe/Paris}
        - id: adhoc
          gateway: {url: http://127.0.0.1:4000}
          modelGroup: embeddings
          provider: manual
      """;

  Path write(String yaml) throws Exception {
    Path f = dir.resolve("keyturn.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  @Test
  void applySchedulesProviderKeysThatHaveAScheduleThroughTheirLauncher() throws Exception {
    Path f = write(PROVIDERS);

    Run plan = run("plan", "-f", f.toString());
    assertThat(plan.exit()).as(plan.all()).isZero();
    assertThat(plan.out())
        .contains("+ create     keyturn/provider-key/gpt-4o-mini")
        .contains("+ create     keyturn/provider-key/claude-sonnet")
        .contains("keyturn provide provider-key/claude-sonnet --key-file F")
        .contains("key deadline 8h")
        .contains("2 to create")
        .doesNotContain("embeddings");
    assertThat(
            plan.out()
                .lines()
                .filter(l -> l.contains("provider-key/gpt-4o-mini"))
                .findFirst()
                .get())
        .doesNotContain("keyturn provide");
    assertThat(exists("keyturn/provider-key/gpt-4o-mini")).isFalse();

    Run apply = run("apply", "-f", f.toString());
    assertThat(apply.exit()).as(apply.all()).isZero();
    assertThat(apply.out()).contains("2 created");

    ScheduleDescription chat = describe("keyturn/provider-key/gpt-4o-mini");
    assertThat(chat.getSchedule().getPolicy().getOverlap())
        .isEqualTo(ScheduleOverlapPolicy.SCHEDULE_OVERLAP_POLICY_SKIP);
    ScheduleActionStartWorkflow action =
        (ScheduleActionStartWorkflow) chat.getSchedule().getAction();
    assertThat(action.getWorkflowType()).isEqualTo("ProviderKeyLauncher");
    assertThat(action.getOptions().getTaskQueue()).isEqualTo(KeyRotationWorkflow.TASK_QUEUE);
    ProviderKeyRequest req = action.getArguments().get(0, ProviderKeyRequest.class);
    assertThat(req.workflowId()).isEqualTo("provider-key/gpt-4o-mini");
    assertThat(req.provider()).isEqualTo("openai");
    assertThat(req.settings()).containsEntry("project", "proj_abc");
    assertThat(req.grace()).isEqualTo(Duration.ofHours(1));
    assertThat(req.requestedBy()).isEqualTo("schedule keyturn/provider-key/gpt-4o-mini");
    ProviderKeyRequest manual =
        ((ScheduleActionStartWorkflow)
                describe("keyturn/provider-key/claude-sonnet").getSchedule().getAction())
            .getArguments()
            .get(0, ProviderKeyRequest.class);
    assertThat(manual.keyDeadline()).isEqualTo(Duration.ofHours(8));

    Run again = run("plan", "-f", f.toString(), "--json");
    JsonNode o = JSON.readTree(again.out());
    assertThat(o.path("hasChanges").asBoolean()).as(again.all()).isFalse();
    assertThat(o.path("summary").path("unchanged").asInt()).isEqualTo(2);

    Run list = run("list", "--json");
    assertThat(list.exit()).as(list.all()).isZero();
    JsonNode providers = JSON.readTree(list.out()).path("providerKeys");
    assertThat(providers).hasSize(2);
    assertThat(providers.get(1).path("workflowId").asText()).isEqualTo("provider-key/gpt-4o-mini");
    assertThat(providers.get(1).path("scheduleId").asText())
        .isEqualTo("keyturn/provider-key/gpt-4o-mini");
    assertThat(providers.get(1).path("state").asText()).isEqualTo("none yet");
    Run text = run("list");
    assertThat(text.out()).contains("Provider keys").contains("provider-key/claude-sonnet");

    Run history = run("history", "provider-key/gpt-4o-mini", "--json");
    assertThat(history.exit()).as(history.all()).isZero();
    assertThat(JSON.readTree(history.out()).path("rotations")).isEmpty();

    // A changed grace is an update naming it; a schedule removed is left in place or pruned.
    write(
        PROVIDERS
            .replace("grace: 1h", "grace: 2h")
            .replace("    schedule: {cron: \"0 9 1 * *\", timezone: Europe/Paris}\n", ""));
    Run edited = run("plan", "-f", f.toString());
    assertThat(edited.out())
        .contains("~ update     keyturn/provider-key/gpt-4o-mini")
        .contains("changed: grace")
        .contains("! keep       keyturn/provider-key/claude-sonnet");
    Run pruned = run("apply", "-f", f.toString(), "--prune");
    assertThat(pruned.exit()).as(pruned.all()).isZero();
    assertThat(exists("keyturn/provider-key/claude-sonnet")).isFalse();
    assertThat(
            ((ScheduleActionStartWorkflow)
                    describe("keyturn/provider-key/gpt-4o-mini").getSchedule().getAction())
                .getArguments()
                .get(0, ProviderKeyRequest.class)
                .grace())
        .isEqualTo(Duration.ofHours(2));
  }

  @Test
  void aBadProviderKeyScheduleIsRefusedAndNothingIsCreated() throws Exception {
    Path f = write(PROVIDERS.replace("{every: 30d, jitter: 1h}", "{every: 1d, jitter: 2d}"));
    Run apply = run("apply", "-f", f.toString());
    assertThat(apply.exit()).as(apply.all()).isEqualTo(2);
    assertThat(apply.all()).contains("providerKeys[0].schedule.jitter");
    assertThat(exists("keyturn/provider-key/gpt-4o-mini")).isFalse();
    assertThat(exists("keyturn/provider-key/claude-sonnet")).isFalse();
  }
}
