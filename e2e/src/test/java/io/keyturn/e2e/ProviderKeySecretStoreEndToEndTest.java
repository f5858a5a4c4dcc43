package io.keyturn.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.testkit.launch.WorkerProcess;
import io.keyturn.testkit.litellm.LiteLlmEmulator;
import io.keyturn.testkit.litellm.ProxySecretManager;
import io.keyturn.testkit.provider.UpstreamProvider;
import io.keyturn.workflows.model.ProviderKeyRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A provider key the proxy reads from Vault itself ({@code api_key: os.environ/NAME} with LiteLLM's
 * {@code hashicorp_vault} manager), rotated end to end: the real Temporal dev server, worker and
 * CLI, the stack's OpenBao as the store, an emulated proxy that resolves {@code os.environ/} per
 * request through a 3 s secret cache, and the emulated OpenAI upstream. Requests go through the
 * proxy the whole time; the old key is revoked at the provider only after the proxy moved on.
 */
class ProviderKeySecretStoreEndToEndTest extends OnE2eStack {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String ADMIN = "sk-admin-" + "vlt".repeat(8);
  private static final String PROJECT = "proj_vault";
  private static final String NAME = "OPENAI_API_KEY_E2E";
  private static final String GROUP = "gpt-vault";

  static UpstreamProvider upstream;
  static LiteLlmEmulator proxy;

  @BeforeAll
  static void upstreamProxyAndWorkerWithAdminKey() throws Exception {
    upstream = new UpstreamProvider(ADMIN, PROJECT).start();
    proxy =
        LiteLlmEmulator.builder()
            .masterKey(master)
            .secretManager(
                ProxySecretManager.hashicorpVault(
                    bao.address(), bao::rootToken, Duration.ofSeconds(3)))
            .build()
            .start();
    worker.stop();
    Map<String, String> env = new HashMap<>(stack.workerEnv);
    env.put("KEYTURN_OPENAI_ADMIN_KEY_FILE", file("openai-admin.key", ADMIN).toString());
    env.put("KEYTURN_OPENAI_ADMIN_URL", upstream.baseUrl());
    worker = new WorkerProcess(env, dir.resolve("worker-provider-vault.log")).start();
    stack.worker = worker;
  }

  @AfterAll
  static void stopUpstreamAndProxy() {
    if (proxy != null) {
      proxy.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  static HttpResponse<String> send(
      String url, String method, String header, String token, Object body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(20))
            .header(header, header.equals("Authorization") ? "Bearer " + token : token)
            .header("content-type", "application/json");
    b =
        body == null
            ? b.method(method, HttpRequest.BodyPublishers.noBody())
            : b.method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static HttpResponse<String> viaProxy(String method, String path, Object body) throws Exception {
    return send(proxy.baseUrl() + path, method, "Authorization", master, body);
  }

  static String vault(String method, Object body) throws Exception {
    HttpResponse<String> r =
        send(
            bao.address() + "/v1/secret/data/" + NAME,
            method,
            "X-Vault-Token",
            bao.rootToken(),
            body);
    assertThat(r.statusCode()).as(r.body()).isBetween(200, 204);
    return r.body();
  }

  static String vaultKey() throws Exception {
    return JSON.readTree(vault("GET", null)).path("data").path("data").path("key").asText();
  }

  static int chat() throws Exception {
    return viaProxy(
            "POST",
            "/v1/chat/completions",
            Map.of("model", GROUP, "messages", List.of(Map.of("role", "user", "content", "hi"))))
        .statusCode();
  }

  /** A service account made through the admin API, as an earlier rotation (or an admin) did. */
  static String[] serviceAccountKey(String name) throws Exception {
    JsonNode n =
        JSON.readTree(
            send(
                    upstream.baseUrl()
                        + "/v1/organization/projects/"
                        + PROJECT
                        + "/service_accounts",
                    "POST",
                    "Authorization",
                    ADMIN,
                    Map.of("name", name))
                .body());
    return new String[] {n.path("api_key").path("value").asText(), n.path("id").asText()};
  }

  /** The name an earlier Keyturn rotation of {@code group} at this proxy gave its key. */
  static String keyturnName(String group) {
    return new ProviderKeyRequest(
            "e2e", proxy.baseUrl(), group, "openai", null, null, null, null, "e2e")
        .keyName("0123456789ab");
  }

  static Path yaml(String name, String grace) throws Exception {
    return file(
        name + ".yaml",
        "apiVersion: keyturn/v1\nproviderKeys:\n"
            + "  - id: "
            + name
            + "\n    gateway: {url: "
            + proxy.baseUrl()
            + "}\n    modelGroup: "
            + GROUP
            + "\n    provider: openai\n    project: "
            + PROJECT
            + "\n    grace: "
            + grace
            + "\n    secretStore:\n      destinations:\n"
            + "        - {type: vault-kv2, name: "
            + NAME
            + ", pathPrefix: /}\n      proxyCache: 3s\n");
  }

  @Test
  void aGraceNotLongerThanTheProxyCacheIsRefusedBeforeAnythingStarts() throws Exception {
    List<String> accounts = upstream.serviceAccounts();
    Cli.Result r = keyturn("rotate-provider", "-f", yaml("short", "3s").toString(), "short");
    assertThat(r.exit()).as(r.out() + r.err()).isEqualTo(2);
    assertThat(r.err())
        .contains("provider key 'short'")
        .contains("is not longer than the proxy's secret cache (3s)");
    assertThat(upstream.serviceAccounts()).isEqualTo(accounts);
  }

  @Test
  void publishedToVaultTheProxySwitchesWithinTheGraceAndTheOldKeyIsRevokedWithNoFailedRequest()
      throws Exception {
    // the key the proxy calls with now: made by an earlier Keyturn rotation of this group
    String[] old = serviceAccountKey(keyturnName(GROUP));
    String[] unrelated = serviceAccountKey("someone-elses-app");
    vault("POST", Map.of("data", Map.of("key", old[0])));
    HttpResponse<String> added =
        viaProxy(
            "POST",
            "/model/new",
            Map.of(
                "model_name",
                GROUP,
                "litellm_params",
                Map.of(
                    "model",
                    "openai/gpt-4o-mini",
                    "api_base",
                    upstream.apiBase(),
                    "api_key",
                    "os.environ/" + NAME),
                "model_info",
                Map.of("id", "vault-dep")));
    assertThat(added.statusCode()).as(added.body()).isEqualTo(200);
    assertThat(chat()).isEqualTo(200);
    long refusedBefore = upstream.refusedCalls();

    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong sent = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    List<String> failures = new ArrayList<>();
    Thread load =
        new Thread(
            () -> {
              while (!stop.get()) {
                try {
                  int s = chat();
                  sent.incrementAndGet();
                  if (s != 200) {
                    failed.incrementAndGet();
                    synchronized (failures) {
                      failures.add("HTTP " + s);
                    }
                  }
                  Thread.sleep(20);
                } catch (Exception e) {
                  failed.incrementAndGet();
                  synchronized (failures) {
                    failures.add(e.toString());
                  }
                }
              }
            },
            "provider-vault-load");
    load.start();
    Cli.Result r;
    try {
      Thread.sleep(500);
      r =
          keyturn(
              "rotate-provider", "-f", yaml("vault", "8s").toString(), "vault", "--wait", "--json");
      Thread.sleep(1000); // requests after the old key was revoked
    } finally {
      stop.set(true);
      load.join();
    }
    System.out.println(
        "PROVIDER-KEY ROTATION THROUGH VAULT UNDER LOAD: "
            + sent.get()
            + " requests through the proxy, "
            + failed.get()
            + " failed "
            + failures);
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    JsonNode out = JSON.readTree(r.out());
    assertThat(out.path("outcome").asText()).isEqualTo("rotated");
    assertThat(out.path("summary").asText())
        .contains("read by the proxy from")
        .contains("were left as they are")
        .contains("[" + old[1] + "] were revoked at the provider");
    assertThat(failed.get()).as("failed requests during the rotation: " + failures).isZero();
    assertThat(sent.get()).isGreaterThan(100);

    String now = vaultKey();
    assertThat(now).isNotEqualTo(old[0]).startsWith("sk-");
    assertThat(upstream.isLive(now)).isTrue();
    assertThat(upstream.isLive(old[0])).as("the old key is revoked at the provider").isFalse();
    assertThat(upstream.isLive(unrelated[0])).as("a key Keyturn did not name stays").isTrue();
    assertThat(upstream.refusedCalls())
        .as("no request reached the provider with the revoked key")
        .isEqualTo(refusedBefore);
    JsonNode models = JSON.readTree(viaProxy("GET", "/model/info", null).body()).path("data");
    List<String> ids = new ArrayList<>();
    models.forEach(
        m -> {
          if (GROUP.equals(m.path("model_name").asText())) {
            ids.add(m.path("model_info").path("id").asText());
          }
        });
    assertThat(ids).as("the deployment is left as it is").containsExactly("vault-dep");
    assertThat(chat()).isEqualTo(200);

    String history = client.fetchHistory("provider-key/" + GROUP).toJson(false);
    assertThat(history).doesNotContain(now).doesNotContain(old[0]);
    assertThat(r.out() + r.err()).doesNotContain(now).doesNotContain(old[0]);
  }

  static JsonNode status(String rotation) throws Exception {
    Cli.Result r = keyturn("provider-status", rotation, "--json");
    assertThat(r.exit()).as(r.out() + r.err()).isZero();
    return JSON.readTree(r.out());
  }

  static JsonNode awaitPhase(String rotation, String phase) throws Exception {
    long end = System.currentTimeMillis() + 90_000;
    JsonNode s = null;
    while (System.currentTimeMillis() < end) {
      try {
        s = status(rotation);
        if (phase.equals(s.path("phase").asText())) {
          return s;
        }
      } catch (AssertionError notYet) {
        // the workflow is starting
      }
      Thread.sleep(300);
    }
    throw new AssertionError(rotation + " never reached " + phase + "; last: " + s);
  }

  @Test
  void aRollbackInTheGracePutsTheOldKeyBackInVaultAndRevokesTheNewOneAfterTheCache()
      throws Exception {
    String name = "OPENAI_API_KEY_RB";
    String group = "gpt-vault-rollback";
    String[] old = serviceAccountKey(keyturnName(group));
    HttpResponse<String> w =
        send(
            bao.address() + "/v1/secret/data/" + name,
            "POST",
            "X-Vault-Token",
            bao.rootToken(),
            Map.of("data", Map.of("key", old[0])));
    assertThat(w.statusCode()).as(w.body()).isEqualTo(200);
    assertThat(
            viaProxy(
                    "POST",
                    "/model/new",
                    Map.of(
                        "model_name",
                        group,
                        "litellm_params",
                        Map.of(
                            "model",
                            "openai/gpt-4o-mini",
                            "api_base",
                            upstream.apiBase(),
                            "api_key",
                            "os.environ/" + name),
                        "model_info",
                        Map.of("id", "vault-rb")))
                .statusCode())
        .isEqualTo(200);
    Path f =
        file(
            "rb.yaml",
            Files.readString(yaml("rb", "10m"))
                .replace("modelGroup: " + GROUP, "modelGroup: " + group)
                .replace("name: " + NAME, "name: " + name));
    List<String> accountsBefore = upstream.serviceAccounts();
    String rotation = "provider-key/" + group;

    assertThat(keyturn("rotate-provider", "-f", f.toString(), "rb").exit()).isZero();
    JsonNode s = awaitPhase(rotation, "IN_GRACE");
    assertThat(s.path("newDeployment").isNull()).as(s.toString()).isTrue();
    assertThat(upstream.serviceAccounts()).hasSize(accountsBefore.size() + 1);

    Cli.Result rb = keyturn("rollback-provider", rotation);
    assertThat(rb.exit()).as(rb.out() + rb.err()).isZero();
    assertThat(rb.out()).contains("the store(s) get the old key back");
    s = awaitPhase(rotation, "ROLLED_BACK");
    assertThat(s.path("detail").asText())
        .contains("rollback asked by")
        .contains("holds the old key")
        .contains("was revoked at the provider")
        .contains("the old key was never revoked");
    String held =
        JSON.readTree(
                send(
                        bao.address() + "/v1/secret/data/" + name,
                        "GET",
                        "X-Vault-Token",
                        bao.rootToken(),
                        null)
                    .body())
            .path("data")
            .path("data")
            .path("key")
            .asText();
    assertThat(held).isEqualTo(old[0]);
    assertThat(upstream.isLive(old[0])).isTrue();
    assertThat(upstream.serviceAccounts()).as("the new account is gone").isEqualTo(accountsBefore);
    int ok =
        viaProxy(
                "POST",
                "/v1/chat/completions",
                Map.of(
                    "model", group, "messages", List.of(Map.of("role", "user", "content", "hi"))))
            .statusCode();
    assertThat(ok).isEqualTo(200);
  }
}
