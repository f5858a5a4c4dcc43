package io.keyturn.activities.audit;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.testkit.litellm.EmulatedKey;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.Orphan;
import io.keyturn.workflows.model.OrphanDeletion;
import io.keyturn.workflows.model.OrphanReport;
import io.keyturn.workflows.model.SecretDrift;
import io.keyturn.workflows.model.SecretTargets;
import io.keyturn.workflows.testing.SecretStoreStandIn;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Orphans and drift judged against the LiteLLM emulator, with stores and Temporal stood in for:
 * what a destination holds, which rotations run and what the last one published are set by each
 * test.
 */
class KeyAuditActivitiesImplTest {
  static final String MASTER = "sk-master-audit-0123456789";

  LiteLlmEmulator proxy;
  JsonHttp http;
  final Stores stores = new Stores();
  final Temporal temporal = new Temporal();
  final List<String> heard = new ArrayList<>();
  KeyAuditActivitiesImpl audit;

  final Destination vaultA = new Destination("vault-kv2", Map.of("name", "a"));
  final Destination fileA = new Destination("file", Map.of("path", "/tmp/a.key"));
  final Destination vaultB = new Destination("vault-kv2", Map.of("name", "b"));

  /** Stores that hold what a test put there; a destination in {@code broken} cannot be read. */
  static final class Stores extends SecretStoreStandIn {
    final Map<Destination, KeyRef> held = new HashMap<>();
    final Set<Destination> broken = new HashSet<>();
    final Set<Destination> notAKey = new HashSet<>();

    @Override
    public CurrentKey readCurrentKey(Destination d) {
      if (broken.contains(d)) {
        throw ApplicationFailure.newFailure(d.describe() + " does not answer", "Transient");
      }
      if (notAKey.contains(d)) {
        throw ApplicationFailure.newNonRetryableFailure(
            d.describe() + " holds something that is not a LiteLLM virtual key",
            io.keyturn.workflows.RotationFailures.DESTINATION_INVALID);
      }
      KeyRef k = held.get(d);
      return k == null ? null : new CurrentKey(k, null, d.describe() + " v1");
    }
  }

  static final class Temporal implements KeyAuditActivitiesImpl.Rotations {
    final List<RunningRotation> running = new ArrayList<>();
    final Map<String, KeyRef> published = new HashMap<>();

    @Override
    public List<RunningRotation> running(List<String> secretIds) {
      return running;
    }

    @Override
    public KeyRef lastPublished(String secretId) {
      return published.get(secretId);
    }
  }

  @BeforeEach
  void start() {
    proxy = LiteLlmEmulator.builder().masterKey(MASTER).build().start();
    http = new JsonHttp(Duration.ofSeconds(10));
    audit =
        new KeyAuditActivitiesImpl(
            new LiteLlmClient(http, () -> MASTER),
            stores,
            temporal,
            new KeyAuditActivitiesImpl.Listener() {
              @Override
              public void orphans(int count) {
                heard.add("orphans " + count);
              }

              @Override
              public void drift(String secretId, String state) {
                heard.add("drift " + secretId + " " + state);
              }
            },
            Clock.fixed(Instant.parse("2030-01-01T00:00:00Z"), ZoneOffset.UTC));
  }

  @AfterEach
  void stop() {
    http.close();
    proxy.close();
  }

  /** A key as a rotation of {@code secret} at {@code generation} mints it. */
  KeyRef minted(String secret, long generation) {
    return minted(secret, generation, Map.of());
  }

  KeyRef minted(String secret, long generation, Map<String, Object> extra) {
    Map<String, Object> body = new HashMap<>(extra);
    body.put("key_alias", "keyturn-" + secret + "-g" + generation);
    body.put(
        "metadata",
        Map.of(
            "keyturn_secret_id",
            secret,
            "keyturn_generation",
            generation,
            "keyturn_workflow_id",
            "rotation/" + secret,
            "keyturn_rotated_from",
            "0".repeat(64)));
    return KeyMaterial.ref(proxy.createKey(body));
  }

  SecretTargets a() {
    return new SecretTargets("a", proxy.baseUrl(), List.of(vaultA, fileA), null);
  }

  SecretTargets b() {
    return new SecretTargets("b", proxy.baseUrl(), List.of(vaultB), null);
  }

  static List<String> hashes(OrphanReport r) {
    return r.orphans().stream().map(o -> o.key().ref().tokenHash()).toList();
  }

  @Test
  void onlyAKeyNoDestinationHoldsAndNoRunningRotationOwnsIsAnOrphan() {
    KeyRef heldA = minted("a", 1);
    KeyRef orphan = minted("a", 2);
    KeyRef heldB = minted("b", 1);
    KeyRef newOfB = minted("b", 2);
    KeyRef other = KeyMaterial.ref(proxy.createKey(Map.of("key_alias", "keyturn-lookalike")));
    KeyRef notInFile = minted("c", 1);
    stores.held.put(vaultA, heldA);
    stores.held.put(fileA, heldA);
    stores.held.put(vaultB, heldB);
    temporal.running.add(new RunningRotation("rotation/b", "b", 2, heldB.fingerprint()));

    OrphanReport r = audit.findOrphans(List.of(a(), b()));

    assertThat(hashes(r)).containsExactly(orphan.tokenHash());
    assertThat(r.keyturnKeys()).isEqualTo(5);
    Orphan o = r.orphans().get(0);
    assertThat(o.key().alias()).isEqualTo("keyturn-a-g2");
    assertThat(o.key().secretId()).isEqualTo("a");
    assertThat(o.key().generation()).isEqualTo(2);
    assertThat(o.key().createdAt()).isNotBlank();
    assertThat(o.evidence())
        .anySatisfy(e -> assertThat(e).contains("minted by rotation/a for a generation 2"))
        .anySatisfy(
            e ->
                assertThat(e)
                    .startsWith("no destination holds it")
                    .contains(vaultA.describe() + " holds " + heldA.fingerprint()))
        .anySatisfy(e -> assertThat(e).contains("no rotation of a runs"));
    assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains("secret c"));
    assertThat(hashes(r))
        .doesNotContain(other.tokenHash(), notInFile.tokenHash(), newOfB.tokenHash());
    assertThat(heard).containsExactly("orphans 1");
  }

  @Test
  void aRunningRotationOwnsItsNewKeyAndTheKeyItReplaces() {
    KeyRef old = minted("a", 4);
    KeyRef fresh = minted("a", 5);
    // Published already (in grace): no destination holds the old key, the rotation still owns it.
    stores.held.put(vaultA, fresh);
    stores.held.put(fileA, fresh);
    temporal.running.add(new RunningRotation("rotation/a", "a", 5, old.fingerprint()));
    assertThat(audit.findOrphans(List.of(a())).orphans()).isEmpty();

    // Before its status answers, a rotation owns every key of its secret.
    KeyRef stray = minted("a", 3);
    temporal.running.set(0, new RunningRotation("rotation/a", "a", 0, null));
    assertThat(audit.findOrphans(List.of(a())).orphans()).isEmpty();
    temporal.running.set(0, new RunningRotation("rotation/a", "a", 5, old.fingerprint()));
    assertThat(hashes(audit.findOrphans(List.of(a())))).containsExactly(stray.tokenHash());
  }

  @Test
  void whileADestinationCannotBeReadNothingIsAnOrphan() {
    minted("a", 1);
    stores.broken.add(vaultB);
    OrphanReport r = audit.findOrphans(List.of(a(), b()));
    assertThat(r.orphans()).isEmpty();
    assertThat(r.notes()).anySatisfy(n -> assertThat(n).contains(vaultB.describe()));
  }

  @Test
  void deletionChecksAgainAndKeepsAKeyThatIsNoLongerAnOrphan() {
    KeyRef k1 = minted("a", 1);
    KeyRef k2 = minted("a", 2);
    OrphanReport r = audit.findOrphans(List.of(a()));
    assertThat(hashes(r)).containsExactly(k1.tokenHash(), k2.tokenHash());

    // Between the report and the deletion, k2 was published.
    stores.held.put(vaultA, k2);
    OrphanDeletion d1 = audit.deleteOrphan(List.of(a()), r.orphans().get(0));
    OrphanDeletion d2 = audit.deleteOrphan(List.of(a()), r.orphans().get(1));
    assertThat(d1.deleted()).isTrue();
    assertThat(d1.outcome()).isEqualTo("deleted");
    assertThat(d2.deleted()).isFalse();
    assertThat(d2.outcome()).contains("kept").contains(vaultA.describe() + " holds it");
    assertThat(proxy.liveKeys().stream().map(EmulatedKey::tokenHash))
        .contains(k2.tokenHash())
        .doesNotContain(k1.tokenHash());

    // Again: already gone is done.
    OrphanDeletion again = audit.deleteOrphan(List.of(a()), r.orphans().get(0));
    assertThat(again.deleted()).isFalse();
    assertThat(again.outcome()).isEqualTo("already gone");

    // A rotation that started since owns it: kept.
    stores.held.clear();
    temporal.running.add(new RunningRotation("rotation/a", "a", 0, null));
    assertThat(audit.deleteOrphan(List.of(a()), r.orphans().get(1)).outcome())
        .contains("running rotation rotation/a");
  }

  @Test
  void noDriftWhenEveryDestinationHoldsThePublishedLiveKey() {
    KeyRef k = minted("a", 1, Map.of("max_budget", 10));
    stores.held.put(vaultA, k);
    stores.held.put(fileA, k);
    temporal.published.put("a", k);
    SecretDrift d =
        audit.checkDrift(
            new SecretTargets(
                "a",
                proxy.baseUrl(),
                List.of(vaultA, fileA),
                new KeyPolicy(Map.of("max_budget", 10))));
    assertThat(d.state()).isEqualTo(SecretDrift.OK);
    assertThat(d.findings()).isEmpty();
    assertThat(d.currentKey()).isEqualTo(k.fingerprint());
    assertThat(d.checkedAt()).isEqualTo("2030-01-01T00:00:00Z");
    assertThat(heard).containsExactly("drift a ok");
  }

  @Test
  void driftNamesEachDifferenceAndChangesNothing() {
    KeyRef k = minted("a", 1, Map.of("max_budget", 10));
    String handWritten = "sk-written-by-hand-0123456789";
    stores.held.put(vaultA, KeyMaterial.ref(handWritten));
    stores.held.put(fileA, k);
    temporal.published.put("a", k);
    SecretDrift d = audit.checkDrift(a());
    assertThat(d.state()).isEqualTo(SecretDrift.DRIFT);
    assertThat(d.findings())
        .anySatisfy(f -> assertThat(f).contains(fileA.describe() + " holds " + k.fingerprint()))
        .anySatisfy(f -> assertThat(f).contains("the last completed rotation published"))
        .anySatisfy(f -> assertThat(f).contains("has no live key"));
    assertThat(d.toString()).doesNotContain(handWritten);
    assertThat(heard).containsExactly("drift a drift");

    // The policy the file writes out, against the live key's.
    stores.held.put(vaultA, k);
    SecretDrift p =
        audit.checkDrift(
            new SecretTargets(
                "a",
                proxy.baseUrl(),
                List.of(vaultA, fileA),
                new KeyPolicy(Map.of("max_budget", 99))));
    assertThat(p.findings())
        .containsExactly("policy of " + k.fingerprint() + ": max_budget: live 10, file 99");
  }

  @Test
  void aDestinationHoldingSomethingElseThanAKeyIsDrift() {
    KeyRef k = minted("a", 1);
    stores.held.put(vaultA, k);
    stores.notAKey.add(fileA);
    SecretDrift d = audit.checkDrift(a());
    assertThat(d.state()).isEqualTo(SecretDrift.DRIFT);
    assertThat(d.findings())
        .containsExactly(fileA.describe() + " holds something that is not a LiteLLM virtual key");
  }

  @Test
  void aSecretWhoseRotationRunsIsNotChecked() {
    temporal.running.add(new RunningRotation("rotation/a", "a", 3, "sk-…x #00000000"));
    SecretDrift d = audit.checkDrift(a());
    assertThat(d.state()).isEqualTo(SecretDrift.UNKNOWN);
    assertThat(d.findings().get(0)).contains("rotation/a runs");
    stores.broken.add(vaultB);
    assertThat(audit.checkDrift(b()).state()).isEqualTo(SecretDrift.UNKNOWN);
  }
}
