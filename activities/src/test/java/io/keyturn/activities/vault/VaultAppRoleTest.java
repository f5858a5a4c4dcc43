package io.keyturn.activities.vault;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.keyturn.activities.store.SecretStoreActivitiesImpl;
import io.keyturn.activities.store.SecretStoreRegistry;
import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.testkit.launch.OpenBaoDevServer;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * AppRole login against a real OpenBao dev server: a role whose tokens live 5 seconds and whose
 * policy allows only {@code secret/data/litellm/*} (and its metadata).
 */
class VaultAppRoleTest {
  static final int TOKEN_TTL_SECONDS = 5;

  static OpenBaoDevServer bao;
  static JsonHttp http;
  static VaultKv2Client root;
  static WorkerKeyring secret;
  static String roleId;
  static String secretId;
  static final AtomicInteger n = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    bao = OpenBaoDevServer.builder().build();
    bao.start();
    http = new JsonHttp(Duration.ofSeconds(5));
    root = new VaultKv2Client(http, bao.address(), bao::rootToken);
    secret = WorkerKeyring.generate();
    asRoot("POST", "/v1/sys/auth/approle", Map.of("type", "approle"));
    asRoot(
        "PUT",
        "/v1/sys/policies/acl/litellm-writer",
        Map.of(
            "policy",
            "path \"secret/data/litellm/*\" { capabilities = [\"create\", \"read\", \"update\"] }\n"
                + "path \"secret/metadata/litellm/*\" { capabilities = [\"read\", \"update\"] }\n"));
    asRoot(
        "POST",
        "/v1/auth/approle/role/keyturn",
        Map.of(
            "token_policies",
            "litellm-writer",
            "token_ttl",
            TOKEN_TTL_SECONDS + "s",
            "token_max_ttl",
            TOKEN_TTL_SECONDS + "s"));
    roleId =
        HttpBodies.tree(asRoot("GET", "/v1/auth/approle/role/keyturn/role-id", null).body())
            .path("data")
            .path("role_id")
            .asText();
    secretId =
        HttpBodies.tree(asRoot("POST", "/v1/auth/approle/role/keyturn/secret-id", Map.of()).body())
            .path("data")
            .path("secret_id")
            .asText();
    assertThat(roleId).isNotBlank();
    assertThat(secretId).isNotBlank();
  }

  @AfterAll
  static void stop() throws Exception {
    http.close();
    bao.close();
  }

  private static Reply asRoot(String method, String path, Map<String, Object> body) {
    Reply r =
        http.send(
            method,
            bao.address() + path,
            Map.of("X-Vault-Token", bao.rootToken()),
            body == null ? null : HttpBodies.write(body));
    assertThat(r.ok()).as(method + " " + path + ": " + r.status() + " " + r.body()).isTrue();
    return r;
  }

  /** Counts logins: the role id is asked once per login. */
  private static Supplier<String> counting(AtomicInteger logins) {
    return () -> {
      logins.incrementAndGet();
      return roleId;
    };
  }

  private static SecretStoreActivitiesImpl store(VaultAuth auth) {
    return new SecretStoreActivitiesImpl(
        SecretStoreRegistry.builtIn(new VaultKv2Client(http, bao.address(), auth)), secret);
  }

  private MintedKey minted(String alias) {
    KeyDerivation d = secret.bind(new KeyDerivation("rotation/x/" + alias, alias, "run"));
    return new MintedKey(KeyMaterial.ref(secret.deriveKey(d)), alias, d, null, false);
  }

  private Destination target() {
    return new Destination("vault-kv2", Map.of("name", "approle-" + n.incrementAndGet()));
  }

  /** The secret a vault-kv2 destination names, as the client reads it. */
  private static VaultKv2Client.Secret secretOf(Destination d) {
    return new VaultKv2Client.Secret(
        "secret", d.get("pathPrefix", "litellm/") + d.get("name", null), null, "key");
  }

  private String fingerprintIn(Destination t) {
    return KeyMaterial.tokenHash((String) root.read(secretOf(t)).orElseThrow().data().get("key"));
  }

  @Test
  void publishesWithAnAppRoleTokenAndReusesItWhileItsLeaseLasts() {
    AtomicInteger logins = new AtomicInteger();
    SecretStoreActivitiesImpl store =
        store(
            VaultAuth.appRole(
                http, bao.address(), "approle", null, counting(logins), () -> secretId));
    Destination t = target();
    MintedKey k = minted("keyturn-ar-g1");
    PublishReceipt first = store.publishTo(t, k);
    assertThat(first.written()).isTrue();
    assertThat(fingerprintIn(t)).isEqualTo(k.ref().tokenHash());
    MintedKey k2 = minted("keyturn-ar-g2");
    assertThat(store.publishTo(t, k2).version()).isEqualTo(2);
    assertThat(fingerprintIn(t)).isEqualTo(k2.ref().tokenHash());
    // Two publishes are six requests to Vault; one login served them all.
    assertThat(logins).hasValue(1);
  }

  @Test
  void logsInAgainBeforeTheLeaseEnds() {
    AtomicInteger logins = new AtomicInteger();
    AtomicLong clock = new AtomicLong(0);
    SecretStoreActivitiesImpl store =
        store(
            VaultAuth.appRole(
                http,
                bao.address(),
                "approle",
                null,
                counting(logins),
                () -> secretId,
                clock::get));
    Destination t = target();
    store.publishTo(t, minted("keyturn-lease-g1"));
    assertThat(logins).hasValue(1);
    // The real token is still valid; only the worker's clock says the lease is nearly over.
    clock.addAndGet(Duration.ofSeconds(TOKEN_TTL_SECONDS).minusMillis(900).toNanos());
    MintedKey k = minted("keyturn-lease-g2");
    store.publishTo(t, k);
    assertThat(logins).hasValue(2);
    assertThat(fingerprintIn(t)).isEqualTo(k.ref().tokenHash());
  }

  @Test
  void keepsWorkingAfterTheTokenExpiredByLoggingInAgainOnce() throws Exception {
    AtomicInteger logins = new AtomicInteger();
    // A clock that never moves: the cached token is used until Vault itself refuses it.
    SecretStoreActivitiesImpl store =
        store(
            VaultAuth.appRole(
                http, bao.address(), "approle", null, counting(logins), () -> secretId, () -> 0L));
    Destination t = target();
    store.publishTo(t, minted("keyturn-exp-g1"));
    assertThat(logins).hasValue(1);
    Thread.sleep(Duration.ofSeconds(TOKEN_TTL_SECONDS + 1).toMillis());
    MintedKey k = minted("keyturn-exp-g2");
    PublishReceipt r = store.publishTo(t, k);
    assertThat(r.version()).isEqualTo(2);
    assertThat(fingerprintIn(t)).isEqualTo(k.ref().tokenHash());
    assertThat(logins).hasValue(2);
  }

  @Test
  void theLoginIsLoggedByAccessorAndTtlNeverByTokenOrSecretId() {
    Logger logger = (Logger) LoggerFactory.getLogger("io.keyturn");
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try {
      store(VaultAuth.appRole(http, bao.address(), "approle", null, () -> roleId, () -> secretId))
          .publishTo(target(), minted("keyturn-log-g1"));
    } finally {
      logger.detachAppender(logs);
    }
    var messages = logs.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(messages)
        .anySatisfy(m -> assertThat(m).contains("approle login ok, ttl 5s").contains("accessor"));
    assertThat(messages)
        .allSatisfy(
            m ->
                assertThat(m)
                    .doesNotContain(secretId)
                    .doesNotContain(roleId)
                    // OpenBao service tokens look like "s.<24+ characters>".
                    .doesNotContainPattern("\\bs\\.[A-Za-z0-9]{20,}"));
  }

  @Test
  void aWrongSecretIdFailsForGoodNamingTheVariableNotTheValue() {
    String wrong = "00000000-1111-2222-3333-444444444444";
    SecretStoreActivitiesImpl store =
        store(VaultAuth.appRole(http, bao.address(), "approle", null, () -> roleId, () -> wrong));
    Destination t = target();
    assertThatThrownBy(() -> store.publishTo(t, minted("keyturn-wrong-g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getType()).isEqualTo(RotationFailures.VAULT_DENIED);
              assertThat(f.getOriginalMessage())
                  .contains("VAULT_SECRET_ID")
                  .contains("auth/approle")
                  .doesNotContain(wrong)
                  .doesNotContain(roleId);
            });
    assertThat(root.read(secretOf(t))).isEmpty();
  }

  @Test
  void aPathOutsideThePolicyIsDeniedNamingTheAppRoleAfterOneFreshLogin() {
    AtomicInteger logins = new AtomicInteger();
    SecretStoreActivitiesImpl store =
        store(
            VaultAuth.appRole(
                http, bao.address(), "approle", null, counting(logins), () -> secretId));
    Destination t =
        new Destination(
            "vault-kv2", Map.of("pathPrefix", "other/", "name", "svc-" + n.incrementAndGet()));
    assertThatThrownBy(() -> store.publishTo(t, minted("keyturn-pol-g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getType()).isEqualTo(RotationFailures.VAULT_DENIED);
              assertThat(f.getOriginalMessage())
                  .contains("AppRole")
                  .contains("other/" + t.get("name", null));
            });
    // The refused request was retried once with a fresh token, not in a loop.
    assertThat(logins).hasValue(2);
  }

  @Test
  void aMissingAuthMountIsNamed() {
    SecretStoreActivitiesImpl store =
        store(
            VaultAuth.appRole(
                http, bao.address(), "no-such-approle", null, () -> roleId, () -> secretId));
    assertThatThrownBy(() -> store.publishTo(target(), minted("keyturn-mount-g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage())
                  .contains("auth/no-such-approle")
                  .contains("VAULT_APPROLE_MOUNT");
            });
  }
}
