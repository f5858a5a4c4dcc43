package io.keyturn.testkit.operator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A test double of the LiteLLM Kubernetes operator's VirtualKey reconcile loop
 * (github.com/bbdsoftware/litellm-operator, internal/controller/virtualkey), reduced to what
 * matters to a key rotation, and talking plain REST to a Kubernetes API server (a mock one in
 * tests) and to a LiteLLM proxy (the emulator), as the operator does:
 *
 * <ul>
 *   <li>every VirtualKey ({@code auth.litellm.ai/v1alpha1}) is looked up at the proxy by {@code
 *       spec.keyAlias} alone ({@code GET /key/list?key_alias=}); when no key has the alias, a key
 *       is minted ({@code POST /key/generate} with the spec's alias, models and metadata plus
 *       {@code managed_by: litellm-operator}) and its value written to the Secret {@code
 *       <instance>-key-<alias>}, field {@code key}, owned by the VirtualKey;
 *   <li>while a key has the alias, neither the key nor the Secret is touched: the operator never
 *       learns a new value (the real one only rewrites the Secret with a value it just got back);
 *   <li>status carries {@code keyAlias}, {@code keyID} and {@code token} (the key's hash), {@code
 *       keyName}, {@code keySecretRef} and a {@code Ready} condition;
 *   <li>a finalizer: a VirtualKey being deleted has its key deleted at the proxy by alias ({@code
 *       POST /key/delete {key_aliases}}) and its Secret deleted, then the finalizer removed. (The
 *       real operator leaves the Secret to Kubernetes' garbage collector through the owner
 *       reference, which a mock API server does not run.)
 * </ul>
 *
 * The real operator re-checks every 60 s; this one polls every {@code interval} (a few seconds in
 * tests). It counts the keys it minted, so a test can tell a key it re-minted behind Keyturn's
 * back.
 */
public final class OperatorStandIn implements AutoCloseable {
  public static final String GROUP_PATH = "/apis/auth.litellm.ai/v1alpha1";
  public static final String FINALIZER = "litellm.ai/finalizer";
  public static final String MANAGED_BY = "litellm-operator";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final String kubeApi;
  private final String proxy;
  private final String masterKey;
  private final String instance;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final List<String> minted = Collections.synchronizedList(new ArrayList<>());
  private ScheduledExecutorService loop;

  /**
   * @param kubeApi the Kubernetes API server's base URL (no auth: a mock server)
   * @param proxy the LiteLLM proxy's base URL
   * @param masterKey the key the operator calls the proxy with (cached for its life, as the real
   *     operator's pod does)
   * @param instance the LiteLLM instance name, the prefix of the Secrets' names
   */
  public OperatorStandIn(String kubeApi, String proxy, String masterKey, String instance) {
    this.kubeApi = strip(kubeApi);
    this.proxy = strip(proxy);
    this.masterKey = masterKey;
    this.instance = instance;
  }

  /** The Secret the operator writes a VirtualKey's key to. */
  public String secretName(String alias) {
    return instance + "-key-" + alias;
  }

  /** Starts polling every {@code interval}. */
  public OperatorStandIn start(Duration interval) {
    loop =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "operator-stand-in");
              t.setDaemon(true);
              return t;
            });
    loop.scheduleWithFixedDelay(
        () -> {
          try {
            reconcileAll();
          } catch (RuntimeException e) {
            // A failed pass is retried at the next one, as the operator requeues.
          }
        },
        0,
        interval.toMillis(),
        TimeUnit.MILLISECONDS);
    return this;
  }

  /** The aliases of the keys this stand-in minted, in order (one per fresh mint). */
  public List<String> mintedAliases() {
    synchronized (minted) {
      return List.copyOf(minted);
    }
  }

  /** One pass over every VirtualKey, as one requeue of each. */
  public synchronized void reconcileAll() {
    JsonNode list = kube("GET", GROUP_PATH + "/virtualkeys", null, null);
    if (list == null) {
      return;
    }
    for (JsonNode vk : list.path("items")) {
      reconcile((ObjectNode) vk);
    }
  }

  private void reconcile(ObjectNode vk) {
    String ns = vk.path("metadata").path("namespace").asText();
    String name = vk.path("metadata").path("name").asText();
    String path = GROUP_PATH + "/namespaces/" + ns + "/virtualkeys/" + name;
    String alias = vk.path("spec").path("keyAlias").asText("");
    List<String> finalizers = new ArrayList<>();
    vk.path("metadata").path("finalizers").forEach(f -> finalizers.add(f.asText()));
    if (!vk.path("metadata").path("deletionTimestamp").isMissingNode()
        && !vk.path("metadata").path("deletionTimestamp").isNull()) {
      if (finalizers.contains(FINALIZER)) {
        String statusAlias = vk.path("status").path("keyAlias").asText("");
        if (!statusAlias.isEmpty()) {
          proxy("POST", "/key/delete", Map.of("key_aliases", List.of(statusAlias)));
        }
        kube("DELETE", "/api/v1/namespaces/" + ns + "/secrets/" + secretName(alias), null, null);
        finalizers.remove(FINALIZER);
        ObjectNode released = vk.deepCopy();
        ((ObjectNode) released.path("metadata")).set("finalizers", JSON.valueToTree(finalizers));
        kube("PUT", path, released, "application/json");
      }
      return;
    }
    if (!finalizers.contains(FINALIZER)) {
      finalizers.add(FINALIZER);
      mergePatch(path, Map.of("metadata", Map.of("finalizers", finalizers)));
    }
    JsonNode found =
        proxy(
            "GET", "/key/list?key_alias=" + URLEncoder.encode(alias, StandardCharsets.UTF_8), null);
    if (found == null) {
      return;
    }
    if (found.path("keys").size() > 0) {
      return; // the key exists: the operator never rewrites the Secret with a value it does not
      // know
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("key_alias", alias);
    JsonNode spec = vk.path("spec");
    if (spec.path("models").isArray()) {
      body.put("models", JSON.convertValue(spec.path("models"), List.class));
    }
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("managed_by", MANAGED_BY);
    spec.path("metadata")
        .fields()
        .forEachRemaining(e -> metadata.put(e.getKey(), e.getValue().asText()));
    body.put("metadata", metadata);
    if (!spec.path("key").asText("").isEmpty()) {
      body.put("key", spec.path("key").asText());
    }
    JsonNode made = proxy("POST", "/key/generate", body);
    if (made == null || made.path("key").asText("").isEmpty()) {
      return;
    }
    minted.add(alias);
    String value = made.path("key").asText();
    writeSecret(vk, ns, secretName(alias), value);
    Map<String, Object> status = new LinkedHashMap<>();
    status.put("keyAlias", alias);
    status.put("keyID", made.path("token").asText());
    status.put("token", made.path("token").asText());
    status.put("keyName", made.path("key_name").asText(""));
    status.put("keySecretRef", secretName(alias));
    status.put(
        "conditions",
        List.of(
            Map.of(
                "type",
                "Ready",
                "status",
                "True",
                "reason",
                "Ready",
                "message",
                "VirtualKey is in desired state",
                "lastTransitionTime",
                Instant.now().toString())));
    mergePatch(path + "/status", Map.of("status", status));
  }

  private void writeSecret(ObjectNode vk, String ns, String name, String value) {
    Map<String, Object> owner = new LinkedHashMap<>();
    owner.put("apiVersion", "auth.litellm.ai/v1alpha1");
    owner.put("kind", "VirtualKey");
    owner.put("name", vk.path("metadata").path("name").asText());
    owner.put("uid", vk.path("metadata").path("uid").asText(""));
    owner.put("controller", true);
    Map<String, Object> secret = new LinkedHashMap<>();
    secret.put("apiVersion", "v1");
    secret.put("kind", "Secret");
    secret.put(
        "metadata", Map.of("name", name, "namespace", ns, "ownerReferences", List.of(owner)));
    secret.put(
        "data",
        Map.of("key", Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8))));
    String base = "/api/v1/namespaces/" + ns + "/secrets";
    if (kube("GET", base + "/" + name, null, null) == null) {
      kube("POST", base, secret, null);
    } else {
      mergePatch(base + "/" + name, Map.of("data", secret.get("data")));
    }
  }

  private void mergePatch(String path, Object body) {
    kube("PATCH", path, body, "application/merge-patch+json");
  }

  /** A Kubernetes API call; null on 404 (and on any other failure: the pass is retried). */
  private JsonNode kube(String method, String path, Object body, String contentType) {
    return send(kubeApi + path, method, body, contentType, Map.of());
  }

  private JsonNode proxy(String method, String path, Object body) {
    return send(
        proxy + path,
        method,
        body,
        "application/json",
        Map.of("Authorization", "Bearer " + masterKey));
  }

  private JsonNode send(
      String url, String method, Object body, String contentType, Map<String, String> headers) {
    try {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
      Map<String, String> all = new HashMap<>(headers);
      if (body != null) {
        all.put("Content-Type", contentType == null ? "application/json" : contentType);
      }
      all.forEach(b::header);
      b.method(
          method,
          body == null
              ? HttpRequest.BodyPublishers.noBody()
              : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
      HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() / 100 != 2) {
        return null;
      }
      return r.body().length == 0 ? JSON.createObjectNode() : JSON.readTree(r.body());
    } catch (IOException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  private static String strip(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  @Override
  public void close() {
    if (loop != null) {
      loop.shutdownNow();
      try {
        loop.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
