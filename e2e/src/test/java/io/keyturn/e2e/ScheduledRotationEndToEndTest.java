package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.api.enums.v1.WorkflowExecutionStatus;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.client.schedules.ScheduleClient;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Routine rotation as users run it: {@code keyturn apply -f keyturn.yaml} creates a Temporal
 * Schedule on the real dev server, it fires every few seconds, the real worker rotates, and each
 * rotation replaces exactly the key its predecessor published (read back from Vault).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ScheduledRotationEndToEndTest extends OnE2eStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static Path config(String id, String managementKeyEnv, String every) throws Exception {
    return file(
        id + ".yaml",
        """
        apiVersion: keyturn/v1
        secrets:
          - id: %s
            gateway:
              url: %s
              managementKey: {env: %s}
            currentKey: {file: %s.key}
            destinations:
              - type: vault-kv2
                name: %s
            schedule:
              every: %s
            grace: 2s
        """
            .formatted(id, litellm.baseUrl(), managementKeyEnv, id, id, every));
  }

  private static List<String> scheduleIds() throws Exception {
    List<String> ids = new ArrayList<>();
    ScheduleClient.newInstance(stubs).listSchedules().forEach(s -> ids.add(s.getScheduleId()));
    return ids;
  }

  private static List<WorkflowExecutionInfo> rotations(String id) {
    return stubs
        .blockingStub()
        .listWorkflowExecutions(
            ListWorkflowExecutionsRequest.newBuilder()
                .setNamespace("default")
                .setQuery("WorkflowId = 'rotation/" + id + "' AND WorkflowType = 'KeyRotation'")
                .build())
        .getExecutionsList();
  }

  @Test
  @Order(1)
  void aManagementKeyLackingARouteIsRefusedAtApplyAndNothingIsCreated() throws Exception {
    String narrow =
        litellm.createKey(
            Map.of(
                "key_alias",
                "narrow-mgmt",
                "user_id",
                "keyturn-rotator",
                "allowed_routes",
                List.of("/key/generate", "/key/info")));
    cliEnv.put("NARROW_KEY", narrow);
    file("app-x.key", litellm.createKey(Map.of("key_alias", "app-x")));
    Cli.Result r = keyturn("apply", "-f", config("app-x", "NARROW_KEY", "1h").toString());
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("app-x.yaml")
        .contains("secret app-x: gateway")
        .contains("/key/delete")
        .contains("nothing was changed")
        .doesNotContain(narrow);
    assertThat(scheduleIds()).isEmpty();

    cliEnv.put("VAULT_ADDR", "http://127.0.0.1:1");
    Cli.Result vault =
        keyturn("plan", "-f", config("app-x", "LITELLM_MASTER_KEY", "1h").toString());
    cliEnv.put("VAULT_ADDR", bao.address());
    assertThat(vault.exit()).isEqualTo(2);
    assertThat(vault.err()).contains("destinations[0]").contains("cannot be reached");
    assertThat(scheduleIds()).isEmpty();
  }

  @Test
  @Order(2)
  void appliedSchedulesFireAndEachRotationRevokesTheKeyItsPredecessorPublished() throws Exception {
    String first =
        litellm.createKey(Map.of("key_alias", "app-s", "models", List.of("gpt-4o-mini")));
    file("app-s.key", first);
    Path yaml = config("app-s", "LITELLM_MASTER_KEY", "6s");

    Cli.Result apply = keyturn("apply", "-f", yaml.toString());
    assertThat(apply.exit()).as(apply.out() + apply.err()).isZero();
    assertThat(apply.out()).contains("keyturn/app-s").doesNotContain(first);
    Cli.Result plan = keyturn("plan", "-f", yaml.toString());
    assertThat(plan.exit()).isZero();
    assertThat(plan.out()).contains("No changes.");

    // Three rotations complete on their own.
    Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
    while (completed("app-s").size() < 3 && Instant.now().isBefore(deadline)) {
      Thread.sleep(1000);
    }
    assertThat(keyturn("pause", "app-s", "--reason", "test done").exit()).isZero();
    while (rotations("app-s").stream()
            .anyMatch(
                e -> e.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_RUNNING)
        && Instant.now().isBefore(deadline.plusSeconds(30))) {
      Thread.sleep(500);
    }
    List<WorkflowExecutionInfo> done = completed("app-s");
    assertThat(done).as("completed rotations").hasSizeGreaterThanOrEqualTo(3);
    assertThat(rotations("app-s"))
        .as("no rotation failed")
        .allMatch(
            e -> e.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED);

    List<RotationResult> chain = new ArrayList<>();
    for (WorkflowExecutionInfo e : done) {
      chain.add(
          client
              .newUntypedWorkflowStub(
                  e.getExecution().getWorkflowId(),
                  java.util.Optional.of(e.getExecution().getRunId()),
                  java.util.Optional.empty())
              .getResult(RotationResult.class));
    }
    assertThat(chain.get(0).oldKey().tokenHash()).isEqualTo(KeyMaterial.tokenHash(first));
    for (int i = 1; i < chain.size(); i++) {
      assertThat(chain.get(i).oldKey())
          .as("rotation %d replaces the key rotation %d published", i, i - 1)
          .isEqualTo(chain.get(i - 1).newKey());
      assertThat(chain.get(i).generation()).isGreaterThan(chain.get(i - 1).generation());
    }
    List<String> live = litellm.liveKeys().stream().map(EmulatedKey::tokenHash).toList();
    for (RotationResult r : chain) {
      assertThat(live).as("revoked " + r.oldKey()).doesNotContain(r.oldKey().tokenHash());
    }
    RotationResult last = chain.get(chain.size() - 1);
    assertThat(
            litellm.liveKeys().stream()
                .filter(k -> k.keyAlias() != null && k.keyAlias().startsWith("keyturn-app-s-g"))
                .map(EmulatedKey::tokenHash))
        .containsExactly(last.newKey().tokenHash());
    assertThat(KeyMaterial.tokenHash(VaultKeys.of(bao, "app-s")))
        .isEqualTo(last.newKey().tokenHash());

    Cli.Result list = keyturn("list", "--json");
    assertThat(list.exit()).as(list.err()).isZero();
    assertThat(list.out()).contains("keyturn/app-s").doesNotContain(first);
    // A policy written out in the file is compared with the live key's (the last one published).
    Path drifted =
        file(
            "app-s-policy.yaml",
            Files.readString(yaml)
                .replace(
                    "    grace: 2s",
                    "    policy: {models: [gpt-4o-mini], max_budget: 99}\n    grace: 2s"));
    Cli.Result drift = keyturn("plan", "-f", drifted.toString());
    assertThat(drift.exit()).as(drift.err()).isZero();
    assertThat(drift.out())
        .contains("Live policies")
        .contains("app-s (" + last.newKey().fingerprint() + "): max_budget: live null, file 99")
        .doesNotContain("models: live");

    Cli.Result history = keyturn("history", "app-s");
    assertThat(history.exit()).as(history.err()).isZero();
    assertThat(history.out()).contains(done.get(0).getExecution().getRunId());
  }

  private static List<WorkflowExecutionInfo> completed(String id) {
    return rotations(id).stream()
        .filter(e -> e.getStatus() == WorkflowExecutionStatus.WORKFLOW_EXECUTION_STATUS_COMPLETED)
        .sorted(
            Comparator.comparing(
                e -> e.getStartTime().getSeconds() * 1_000_000_000L + e.getStartTime().getNanos()))
        .toList();
  }
}
