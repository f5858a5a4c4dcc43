package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.RotationPhase;
import io.temporal.client.WorkflowNotFoundException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Emergency rotation of a leaked key, end to end on the real dev server, worker, OpenBao and the
 * CLI: {@code keyturn leaked} on a secret with no rotation running, {@code keyturn rotate
 * --emergency} taking over a routine rotation in its grace period, and bad input that blocks
 * nothing. Each run prints the window between the block and the new key published everywhere.
 */
class EmergencyEndToEndTest extends OnE2eStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static Path config(String id) throws Exception {
    return file(
        id + ".yaml",
        """
        apiVersion: keyturn/v1
        secrets:
          - id: %s
            gateway:
              url: %s
              managementKey: {env: LITELLM_MASTER_KEY}
            currentKey: {file: %s.key}
            destinations:
              - type: vault-kv2
                name: %s
            schedule:
              every: 30d
            grace: 1h
        """
            .formatted(id, litellm.baseUrl(), id, id));
  }

  /** The status /v1/models answers with {@code key} as bearer: 200 works, 401 refused. */
  private static int modelsWith(String key) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(litellm.baseUrl() + "/v1/models"))
                .header("Authorization", "Bearer " + key)
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static List<String> liveHashes() {
    return litellm.liveKeys().stream().map(EmulatedKey::tokenHash).toList();
  }

  @Test
  void leakedBlocksTheKeyPublishesANewOneAndDeletesTheLeakedOne() throws Exception {
    String leaked =
        litellm.createKey(Map.of("key_alias", "app-l", "models", List.of("gpt-4o-mini")));
    file("app-l.key", leaked);

    Cli.Result r = keyturn("leaked", "app-l", "-f", config("app-l").toString(), "--wait", "--json");

    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out() + r.err()).doesNotContain(leaked);
    JsonNode o = JSON.readTree(r.out());
    assertThat(o.path("emergency").asBoolean()).isTrue();
    assertThat(o.path("tookOver").isNull()).isTrue();
    JsonNode e = o.path("result").path("emergency");
    assertThat(e.path("leakedKey").asText()).isEqualTo(KeyMaterial.ref(leaked).fingerprint());
    assertThat(e.path("requestedBy").asText()).startsWith("keyturn leaked (");
    assertThat(e.path("alreadyBlocked").asBoolean()).isFalse();
    long window = e.path("windowMillis").asLong(-1);
    assertThat(window).isBetween(0L, 60_000L);
    System.out.println(
        "[emergency e2e] keyturn leaked, no rotation running: blocked -> published everywhere in "
            + window
            + " ms");

    assertThat(modelsWith(leaked)).as("the leaked key is refused").isEqualTo(401);
    assertThat(liveHashes()).doesNotContain(KeyMaterial.tokenHash(leaked));
    String now = VaultKeys.of(bao, "app-l");
    assertThat(KeyMaterial.tokenHash(now)).isEqualTo(o.path("result").path("newKeyHash").asText());
    assertThat(modelsWith(now)).as("the new key works").isEqualTo(200);

    // The same command again (its answer lost, say) must not block the key it just published.
    Cli.Result twice = keyturn("leaked", "app-l", "-f", dir.resolve("app-l.yaml").toString());
    assertThat(twice.exit()).as(twice.out() + twice.err()).isEqualTo(1);
    assertThat(twice.err())
        .contains("an emergency rotation of app-l completed")
        .contains("Nothing was started")
        .contains("--again");
    assertThat(VaultKeys.of(bao, "app-l")).isEqualTo(now);
    assertThat(modelsWith(now)).isEqualTo(200);
  }

  @Test
  void anEmergencyTakesOverARoutineRotationInGraceAndDeletesBothOldKeys() throws Exception {
    String first =
        litellm.createKey(Map.of("key_alias", "app-g", "models", List.of("gpt-4o-mini")));
    Path firstFile = file("app-g.key", first);
    Cli.Result routine =
        keyturn(
            "rotate",
            "--secret-id",
            "app-g",
            "--key-file",
            firstFile.toString(),
            "--gateway",
            litellm.baseUrl(),
            "--vault-name",
            "app-g",
            "--grace",
            "1h");
    assertThat(routine.exit()).as(routine.out() + routine.err()).isZero();
    KeyRotationWorkflow running =
        client.newWorkflowStub(KeyRotationWorkflow.class, "rotation/app-g");
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (running.status().phase() != RotationPhase.IN_GRACE && Instant.now().isBefore(deadline)) {
      Thread.sleep(300);
    }
    assertThat(running.status().phase()).isEqualTo(RotationPhase.IN_GRACE);
    String second = VaultKeys.of(bao, "app-g");
    assertThat(modelsWith(first)).as("in grace, the old key works").isEqualTo(200);

    // The key in Vault leaked: rotate it in an emergency, as rotate takes it.
    Cli.Result r =
        keyturn(
            "rotate",
            "--emergency",
            "--secret-id",
            "app-g",
            "--key-from-destination",
            "--gateway",
            litellm.baseUrl(),
            "--vault-name",
            "app-g",
            "--wait");

    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    assertThat(r.out() + r.err()).doesNotContain(first).doesNotContain(second);
    assertThat(r.out())
        .contains("Started EMERGENCY rotation rotation/app-g")
        .contains("took over")
        .contains("was IN_GRACE, closed as CANCELED")
        .contains("does not honour grace, so the old key " + KeyMaterial.ref(first).fingerprint())
        .contains("was deleted now")
        .contains("leaked key " + KeyMaterial.ref(second).fingerprint() + " blocked")
        .contains("right after publish (emergency: no grace)");
    String windowLine =
        r.out().lines().filter(l -> l.strip().startsWith("window")).findFirst().orElseThrow();
    System.out.println(
        "[emergency e2e] rotate --emergency over a routine rotation in grace: "
            + windowLine.strip());

    assertThat(modelsWith(first)).as("the routine rotation's old key").isEqualTo(401);
    assertThat(modelsWith(second)).as("the leaked key").isEqualTo(401);
    String third = VaultKeys.of(bao, "app-g");
    assertThat(third).isNotEqualTo(second);
    assertThat(modelsWith(third)).isEqualTo(200);
    assertThat(liveHashes())
        .doesNotContain(KeyMaterial.tokenHash(first), KeyMaterial.tokenHash(second))
        .contains(KeyMaterial.tokenHash(third));
  }

  @Test
  void aSecretThatDoesNotExistIsRefusedAndNothingIsBlocked() throws Exception {
    String bystander = litellm.createKey(Map.of("key_alias", "app-b"));
    file("app-x.key", "sk-never-minted-" + "x".repeat(22));
    Path yaml = config("app-x");

    Cli.Result undeclared = keyturn("leaked", "nope", "-f", yaml.toString());
    assertThat(undeclared.exit()).as(undeclared.out() + undeclared.err()).isEqualTo(2);
    assertThat(undeclared.err())
        .contains("secret 'nope' is not declared in")
        .contains("app-x")
        .contains("Nothing was blocked");

    Cli.Result unknownKey = keyturn("leaked", "app-x", "-f", yaml.toString(), "--wait");
    assertThat(unknownKey.exit()).as(unknownKey.out() + unknownKey.err()).isEqualTo(2);
    assertThat(unknownKey.err()).contains("does not exist at LiteLLM").contains("Nothing was");

    assertThatThrownBy(() -> client.newUntypedWorkflowStub("rotation/app-x").describe())
        .isInstanceOf(WorkflowNotFoundException.class);
    assertThatThrownBy(() -> client.newUntypedWorkflowStub("rotation/nope").describe())
        .isInstanceOf(WorkflowNotFoundException.class);
    assertThat(litellm.liveKeys()).noneMatch(EmulatedKey::blocked);
    assertThat(modelsWith(bystander)).isEqualTo(200);
  }
}
