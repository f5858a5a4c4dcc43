package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.workflows.KeyRotationWorkflow;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.RotationPhase;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The operator's controls in a grace period, as an operator types them, on the real dev server,
 * OpenBao, the emulator and the real worker: {@code keyturn extend-grace} moves the revoke (and is
 * refused past the bound or with a negative value, nothing changed), {@code keyturn rollback}
 * leaves the old key working and in every destination and the new key refused, and is refused for a
 * rotation that has finished.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RollbackAndGraceEndToEndTest extends OnE2eStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static int bearerStatus(String raw) throws Exception {
    return HTTP.send(
            HttpRequest.newBuilder(URI.create(litellm.baseUrl() + "/v1/models"))
                .header("Authorization", "Bearer " + raw)
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static RotationStatus status(String id) {
    return client.newWorkflowStub(KeyRotationWorkflow.class, id).status();
  }

  private static void awaitPhase(String id, RotationPhase phase) throws Exception {
    Instant deadline = Instant.now().plusSeconds(60);
    RotationPhase last = null;
    while (Instant.now().isBefore(deadline)) {
      try {
        last = status(id).phase();
        if (last == phase) {
          return;
        }
      } catch (RuntimeException e) {
        // no first workflow task yet
      }
      Thread.sleep(250);
    }
    throw new AssertionError(id + " did not reach " + phase + " (last " + last + ")");
  }

  private static Instant graceEnd(String id) throws Exception {
    Cli.Result s = keyturn("status", id, "--json");
    assertThat(s.exit()).as(s.err()).isZero();
    JsonNode o = JSON.readTree(s.out());
    String end = o.findValue("graceEndsAt").asText();
    return Instant.parse(end);
  }

  private static String seed(String app) throws Exception {
    return litellm.createKey(Map.of("key_alias", app, "models", List.of("gpt-4o-mini")));
  }

  private static void assertNoKeyIn(String text, String... raws) {
    for (String raw : raws) {
      assertThat(text).doesNotContain(raw);
    }
  }

  @Test
  @Order(1)
  void extendGraceMovesTheRevokeAndRollbackPutsTheOldKeyBackEverywhere() throws Exception {
    String oldRaw = seed("app-u");
    Path envFile = dir.resolve("app-u.env");
    Files.writeString(envFile, "OTHER=1\nAPP_U_KEY=" + oldRaw + "\n");
    Files.setPosixFilePermissions(envFile, PosixFilePermissions.fromString("rw-------"));
    Cli.Result started =
        keyturn(
            "rotate",
            "--secret-id",
            "app-u",
            "--gateway",
            litellm.baseUrl(),
            "--key-file",
            file("app-u.key", oldRaw).toString(),
            "--generation",
            "1",
            "--grace",
            "1h",
            "--to",
            "vault-kv2:name=app-u",
            "--to",
            "file:path=" + envFile + ",format=env,field=APP_U_KEY");
    assertThat(started.exit()).as(started.out() + started.err()).isZero();
    String id = RotationRequest.workflowId("app-u");
    awaitPhase(id, RotationPhase.IN_GRACE);
    String newRaw = VaultKeys.of(bao, "app-u");
    assertThat(newRaw).isNotEqualTo(oldRaw);
    assertThat(Files.readString(envFile)).contains("APP_U_KEY=" + newRaw);
    assertThat(bearerStatus(newRaw)).isEqualTo(200);
    assertThat(bearerStatus(oldRaw)).isEqualTo(200);

    // Longer: 48 hours later than planned; status shows the new end.
    Instant planned = graceEnd(id);
    Cli.Result longer = keyturn("extend-grace", "app-u", "48h");
    assertThat(longer.exit()).as(longer.out() + longer.err()).isZero();
    assertThat(longer.out()).contains("extended by 2d");
    assertThat(graceEnd(id)).isEqualTo(planned.plus(Duration.ofHours(48)));
    assertThat(status(id).message()).contains("extended by 2d by");

    // Bad input: past the bound, negative, zero: a clear error each, nothing changed.
    Instant before = graceEnd(id);
    Cli.Result pastBound = keyturn("extend-grace", "app-u", "89d");
    assertThat(pastBound.exit()).isEqualTo(1);
    assertThat(pastBound.err())
        .contains("cannot change the grace period of rotation/app-u")
        .contains("at most 90 days after the new key was published");
    Cli.Result overMax = keyturn("extend-grace", "app-u", "91d");
    assertThat(overMax.exit()).isEqualTo(2);
    assertThat(overMax.err()).contains("longer than the bound");
    Cli.Result negative = keyturn("extend-grace", "app-u", "-2h");
    assertThat(negative.exit()).as(negative.err()).isEqualTo(2);
    assertThat(negative.err()).contains("'-2h' is negative").contains("--ends-in");
    Cli.Result zero = keyturn("extend-grace", "app-u", "--ends-in", "0s");
    assertThat(zero.exit()).isEqualTo(2);
    assertThat(zero.err()).contains("revoke-now");
    assertThat(graceEnd(id)).isEqualTo(before);

    // Shorter: ends 2 hours from now.
    Instant asked = Instant.now();
    Cli.Result shorter = keyturn("extend-grace", "rotation/app-u", "--ends-in", "2h", "--json");
    assertThat(shorter.exit()).as(shorter.out() + shorter.err()).isZero();
    Instant end = graceEnd(id);
    assertThat(end)
        .isBetween(
            asked.plus(Duration.ofMinutes(119)),
            Instant.now().plus(2, java.time.temporal.ChronoUnit.HOURS));
    assertThat(JSON.readTree(shorter.out()).path("graceEndsAt").asText()).isEqualTo(end.toString());

    // Undo: the old key back in Vault and the file, the new key deleted, nothing revoked.
    Cli.Result rollback = keyturn("rollback", "app-u", "--reason", "client X rejects the new key");
    assertThat(rollback.exit()).as(rollback.out() + rollback.err()).isZero();
    assertThat(rollback.out())
        .contains("ROLLED_BACK")
        .contains("client X rejects the new key")
        .contains("NOT revoked");
    assertNoKeyIn(rollback.out() + rollback.err(), oldRaw, newRaw, master);

    assertThat(bearerStatus(oldRaw)).as("the old key works").isEqualTo(200);
    assertThat(bearerStatus(newRaw)).as("the new key is refused").isEqualTo(401);
    assertThat(VaultKeys.of(bao, "app-u")).as("Vault holds the old key").isEqualTo(oldRaw);
    assertThat(Files.readString(envFile)).isEqualTo("OTHER=1\nAPP_U_KEY=" + oldRaw + "\n");
    assertThat(litellm.liveKeys().stream().map(EmulatedKey::tokenHash))
        .contains(KeyMaterial.tokenHash(oldRaw))
        .doesNotContain(KeyMaterial.tokenHash(newRaw));

    Cli.Result after = keyturn("status", id);
    assertThat(after.out()).contains("FAILED").contains("ROLLED_BACK");
    // A second rollback: the rotation is over; nothing changes.
    Cli.Result again = keyturn("rollback", "app-u", "--reason", "twice");
    assertThat(again.exit()).isEqualTo(1);
    assertThat(again.err()).contains("not running").contains("Nothing was changed");
    assertThat(VaultKeys.of(bao, "app-u")).isEqualTo(oldRaw);
    assertNoKeyIn(worker.log(), oldRaw, newRaw);
    // The audit trail has each operator's change, with who sent it.
    assertThat(worker.log())
        .contains("\"event\":\"operator\",\"step\":\"changeGrace\",\"workflow_id\":\"" + id)
        .containsPattern(
            "\"event\":\"operator\",\"step\":\"rollback\",\"workflow_id\":\""
                + id
                + "\",\"secret\":\"app-u\",\"requested_by\":\"[^\"]+\",\"outcome\":\"succeeded\"");
  }

  @Test
  @Order(2)
  void rollbackOrExtendGraceOfAFinishedRotationIsRefusedWithNothingChanged() throws Exception {
    String oldRaw = seed("app-v");
    Cli.Result done =
        keyturn(
            "rotate",
            "--secret-id",
            "app-v",
            "--gateway",
            litellm.baseUrl(),
            "--key-file",
            file("app-v.key", oldRaw).toString(),
            "--generation",
            "1",
            "--grace",
            "1s",
            "--vault-name",
            "app-v",
            "--wait");
    assertThat(done.exit()).as(done.out() + done.err()).isZero();
    String newRaw = VaultKeys.of(bao, "app-v");

    Cli.Result rollback = keyturn("rollback", "app-v", "--reason", "too late");
    assertThat(rollback.exit()).isEqualTo(1);
    assertThat(rollback.err())
        .contains("cannot roll back rotation/app-v")
        .contains("COMPLETED")
        .contains("the old key is gone")
        .contains("Rotate again instead")
        .contains("Nothing was changed");
    Cli.Result extend = keyturn("extend-grace", "app-v", "1h");
    assertThat(extend.exit()).isEqualTo(1);
    assertThat(extend.err()).contains("grace period is over");

    assertThat(VaultKeys.of(bao, "app-v")).isEqualTo(newRaw);
    assertThat(bearerStatus(newRaw)).isEqualTo(200);
    assertThat(bearerStatus(oldRaw)).isEqualTo(401);

    Cli.Result nobody = keyturn("rollback", "nobody", "--reason", "x");
    assertThat(nobody.exit()).isEqualTo(1);
    assertThat(nobody.err()).contains("no rotation with id 'rotation/nobody'");
    Cli.Result noReason = keyturn("rollback", "app-v");
    assertThat(noReason.exit()).isEqualTo(2);
    assertThat(noReason.err()).contains("--reason");
  }
}
