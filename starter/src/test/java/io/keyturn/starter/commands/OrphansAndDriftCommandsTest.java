package io.keyturn.starter.commands;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.starter.CliRunner;
import io.keyturn.starter.CliRunner.Run;
import io.keyturn.starter.TemporalClients;
import io.keyturn.starter.TestKeys;
import io.keyturn.workflows.DriftCheckWorkflowImpl;
import io.keyturn.workflows.KeyAuditActivities;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.OrphanSweepWorkflowImpl;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.Orphan;
import io.keyturn.workflows.model.OrphanDeletion;
import io.keyturn.workflows.model.OrphanReport;
import io.keyturn.workflows.model.ProxyKey;
import io.keyturn.workflows.model.SecretDrift;
import io.keyturn.workflows.model.SecretTargets;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowClientOptions;
import io.temporal.testing.TestEnvironmentOptions;
import io.temporal.testing.TestWorkflowEnvironment;
import io.temporal.worker.Worker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code keyturn orphans} and {@code keyturn drift} in-process, against an in-memory Temporal
 * running the real OrphanSweep and DriftCheck workflows over stand-in audit activities: what the
 * CLI sends the worker, how it asks before deleting, and what it prints.
 */
class OrphansAndDriftCommandsTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final KeyRef ORPHAN = KeyMaterial.ref("sk-orphaned-key-0123456789abcdef");

  static TestWorkflowEnvironment temporal;
  static final Audit audit = new Audit();

  static final CliRunner CLI =
      CliRunner.with(
          (connection, dataConverter) ->
              new TemporalClients.Session(
                  WorkflowClient.newInstance(
                      temporal.getWorkflowServiceStubs(),
                      WorkflowClientOptions.newBuilder()
                          .setNamespace(temporal.getNamespace())
                          .setDataConverter(dataConverter)
                          .build()),
                  () -> {}));

  /** Stand-in worker side: one orphan of secret a; secret a drifted, b did not. */
  static final class Audit implements KeyAuditActivities {
    final List<String> calls = new CopyOnWriteArrayList<>();
    final List<List<SecretTargets>> asked = new CopyOnWriteArrayList<>();

    @Override
    public OrphanReport findOrphans(List<SecretTargets> secrets) {
      calls.add("find");
      asked.add(secrets);
      ProxyKey k =
          new ProxyKey(
              ORPHAN, "keyturn-a-g2", "2030-01-01T00:00:00Z", "a", 2, "rotation/a", "http://gw");
      return new OrphanReport(
          List.of(new Orphan(k, List.of("minted by rotation/a", "no destination holds it"))),
          3,
          List.of("1 key(s) of secret z were not judged"));
    }

    @Override
    public OrphanDeletion deleteOrphan(List<SecretTargets> secrets, Orphan orphan) {
      calls.add("delete " + orphan.key().alias());
      return new OrphanDeletion(orphan.key().ref(), orphan.key().alias(), true, "deleted");
    }

    @Override
    public SecretDrift checkDrift(SecretTargets s) {
      calls.add("drift " + s.secretId());
      return s.secretId().equals("a")
          ? new SecretDrift(
              "a", SecretDrift.DRIFT, "sk-…x #1", List.of("vault holds another key"), "2030")
          : new SecretDrift("b", SecretDrift.OK, "sk-…y #2", List.of(), "2030");
    }
  }

  @TempDir Path dir;
  Path yaml;

  @BeforeAll
  static void start() {
    temporal =
        TestWorkflowEnvironment.newInstance(
            TestEnvironmentOptions.newBuilder()
                .setUseTimeskipping(false)
                .setWorkflowClientOptions(
                    WorkflowClientOptions.newBuilder().setDataConverter(TestKeys.CONVERTER).build())
                .build());
    Worker w = temporal.newWorker(KeyRotationWorkflow.TASK_QUEUE);
    w.registerWorkflowImplementationTypes(
        OrphanSweepWorkflowImpl.class, DriftCheckWorkflowImpl.class);
    w.registerActivitiesImplementations(audit);
    temporal.start();
  }

  @AfterAll
  static void stop() {
    temporal.close();
  }

  @BeforeEach
  void config() throws Exception {
    audit.calls.clear();
    audit.asked.clear();
    StringBuilder y = new StringBuilder("apiVersion: keyturn/v1\nsecrets:\n");
    for (String id : List.of("a", "b")) {
      y.append(
          """
            - id: %s
              gateway:
                url: http://gw
                managementKey: {env: MGMT}
              currentKey: {keyHash: %s}
              destinations:
                - type: vault-kv2
                  name: %s
              policy: {max_budget: 5}
              schedule: {every: 30d}
          """
              .formatted(id, "a".repeat(64), id));
    }
    yaml = dir.resolve("keyturn.yaml");
    Files.writeString(yaml, y.toString());
  }

  Run run(String stdin, boolean tty, String... args) {
    Map<String, String> env = new HashMap<>(TestKeys.cliEnv());
    return CLI.run(env, stdin, tty, Clock.systemUTC(), args);
  }

  Run run(String... args) {
    return run("", false, args);
  }

  @Test
  void orphansListsEachWithItsEvidenceAndDeletesNothing() throws Exception {
    Run r = run("orphans", "-f", yaml.toString());
    assertThat(r.exit()).as(r.all()).isZero();
    assertThat(r.out())
        .contains("1 orphan(s) among the 3 key(s)")
        .contains("keyturn-a-g2  " + ORPHAN.fingerprint())
        .contains("a, generation 2")
        .contains("- no destination holds it")
        .contains("note: 1 key(s) of secret z")
        .contains("--delete");
    assertThat(audit.calls).containsExactly("find");
    // The worker was told every secret of the file, with its destinations and written policy.
    SecretTargets a = audit.asked.get(0).get(0);
    assertThat(audit.asked.get(0)).hasSize(2);
    assertThat(a.gatewayUrl()).isEqualTo("http://gw");
    assertThat(a.destinations().get(0).describe()).contains("litellm/a");
    assertThat(a.policy().fields()).containsEntry("max_budget", 5);

    JsonNode json = JSON.readTree(run("orphans", "-f", yaml.toString(), "--json").out());
    assertThat(json.path("orphans").get(0).path("tokenHash").asText())
        .isEqualTo(ORPHAN.tokenHash());
    assertThat(json.path("orphans").get(0).path("evidence")).hasSize(2);
  }

  @Test
  void deleteWithoutYesWhereNoOneCanBeAskedIsRefusedBeforeAnythingRuns() {
    Run r = run("orphans", "-f", yaml.toString(), "--delete");
    assertThat(r.exit()).isEqualTo(2);
    assertThat(r.err())
        .contains("not interactive")
        .contains("nothing was listed or deleted")
        .contains("--delete --yes");
    Run json = run("orphans", "-f", yaml.toString(), "--delete", "--json");
    assertThat(json.exit()).isEqualTo(2);
    assertThat(run("orphans", "-f", yaml.toString(), "--yes").exit()).isEqualTo(2);
    assertThat(audit.calls).isEmpty();
  }

  @Test
  void deleteAsksAndDeletesOnlyWhatWasConfirmed() {
    Run no = run("no\n", true, "orphans", "-f", yaml.toString(), "--delete");
    assertThat(no.exit()).as(no.all()).isZero();
    assertThat(no.out()).contains("Type 1 to confirm").contains("Nothing was deleted.");
    assertThat(audit.calls).containsExactly("find");

    audit.calls.clear();
    Run yes = run("1\n", true, "orphans", "-f", yaml.toString(), "--delete");
    assertThat(yes.exit()).as(yes.all()).isZero();
    assertThat(yes.out()).contains("keyturn-a-g2").contains("1 of 1 deleted.");
    assertThat(audit.calls).containsExactly("find", "delete keyturn-a-g2");

    audit.calls.clear();
    Run scripted = run("orphans", "-f", yaml.toString(), "--delete", "--yes");
    assertThat(scripted.exit()).as(scripted.all()).isZero();
    assertThat(audit.calls).containsExactly("find", "delete keyturn-a-g2");
  }

  @Test
  void driftReportsEachSecretAndExitsThreeOnDrift() throws Exception {
    Run all = run("drift", "-f", yaml.toString());
    assertThat(all.exit()).as(all.all()).isEqualTo(3);
    assertThat(all.out())
        .contains("a  DRIFT")
        .contains("- vault holds another key")
        .contains("b  ok")
        .contains("Nothing was changed");

    Run one = run("drift", "-f", yaml.toString(), "b");
    assertThat(one.exit()).as(one.all()).isZero();
    assertThat(audit.calls).containsExactly("drift a", "drift b", "drift b");

    JsonNode json = JSON.readTree(run("drift", "-f", yaml.toString(), "--json").out());
    assertThat(json.path("drifted").asBoolean()).isTrue();
    assertThat(json.path("secrets").get(0).path("findings").get(0).asText())
        .isEqualTo("vault holds another key");

    Run unknown = run("drift", "-f", yaml.toString(), "nope");
    assertThat(unknown.exit()).isEqualTo(2);
    assertThat(unknown.err()).contains("no secret 'nope'").contains("a, b");

    Run badEvery = run("drift", "-f", yaml.toString(), "--schedule", "10s");
    assertThat(badEvery.exit()).isEqualTo(2);
    assertThat(badEvery.err()).contains("--schedule '10s'");
  }
}
