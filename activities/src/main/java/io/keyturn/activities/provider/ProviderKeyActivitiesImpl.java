package io.keyturn.activities.provider;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.activities.audit.RunningOnProxy;
import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.workflows.MasterKeyRotationWorkflow;
import io.keyturn.workflows.ProviderKeyActivities;
import io.keyturn.workflows.ProviderKeyFailures;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.ProviderDeployment;
import io.keyturn.workflows.model.ProviderKey;
import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.SealedSecret;
import io.keyturn.workflows.provider.KeyShape;
import io.keyturn.workflows.provider.ProviderTypes;
import io.temporal.failure.ApplicationFailure;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The provider-key rotation's calls: the proxy's model-management API with the worker's LiteLLM
 * admin key, and the provider through its {@link KeyProvider}. Key values are opened here and go
 * only into HTTP headers and the {@code /model/new} body; logs, failures and return values carry
 * fingerprints. {@code /model/new} answers the stored row with its params encrypted: that body is
 * never logged.
 */
public final class ProviderKeyActivitiesImpl implements ProviderKeyActivities {
  private static final Logger log = LoggerFactory.getLogger(ProviderKeyActivitiesImpl.class);

  /** Where model_info keeps the provider's id of the key a deployment calls with. */
  public static final String KEY_ID_FIELD = "keyturn_provider_key_id";

  private final JsonHttp http;
  private final Supplier<String> proxyKey;
  private final WorkerKeyring keyring;
  private final Map<String, KeyProvider> providers = new LinkedHashMap<>();
  private volatile Predicate<String> workflowRunning = id -> false;
  private volatile RunningOnProxy onProxy = RunningOnProxy.NONE;

  public ProviderKeyActivitiesImpl(
      JsonHttp http, Supplier<String> proxyKey, WorkerKeyring keyring, List<KeyProvider> all) {
    this.http = http;
    this.proxyKey = proxyKey;
    this.keyring = keyring;
    for (KeyProvider p : all) {
      providers.put(p.name(), p);
    }
  }

  /** How a workflow id is checked for running (the worker's Temporal client); none by default. */
  public void workflowRunning(Predicate<String> running) {
    this.workflowRunning = running;
  }

  /**
   * How the master-key rotations running on a proxy are found (the worker's Temporal visibility);
   * none by default.
   */
  public void runningOnProxy(RunningOnProxy running) {
    this.onProxy = running;
  }

  private KeyProvider provider(ProviderKeyRequest req) {
    KeyProvider p = providers.get(req.provider());
    if (p == null) {
      throw refuse(
          ProviderKeyFailures.PROVIDER_UNUSABLE,
          "unknown provider '" + req.provider() + "'; this worker knows " + providers.keySet());
    }
    return p;
  }

  @Override
  public List<ProviderDeployment> preflight(
      ProviderKeyRequest req, List<String> masterKeyWorkflows) {
    KeyProvider p = provider(req);
    String problem = p.problem(req.settings());
    if (problem != null) {
      throw refuse(ProviderKeyFailures.PROVIDER_UNUSABLE, problem);
    }
    // Those the worker finds on the proxy, and those the caller named (started elsewhere).
    Set<String> rotating =
        new TreeSet<>(onProxy.running(MasterKeyRotationWorkflow.WORKFLOW_TYPE, req.gateway()));
    for (String wf : masterKeyWorkflows) {
      if (!rotating.contains(wf) && workflowRunning.test(wf)) {
        rotating.add(wf);
      }
    }
    if (!rotating.isEmpty()) {
      throw refuse(
          ProviderKeyFailures.MASTER_KEY_ROTATING,
          String.join(", ", rotating)
              + (rotating.size() == 1 ? " is" : " are")
              + " running on this proxy (a master-key rotation re-encrypts stored model"
              + " credentials): rotate the provider key once it has ended (`keyturn"
              + " master-status "
              + rotating.iterator().next()
              + "`)");
    }
    List<String> fromConfig = new ArrayList<>();
    List<ProviderDeployment> group = group(req.gateway(), req.modelGroup(), fromConfig);
    if (req.throughSecretStore() && !fromConfig.isEmpty()) {
      // LiteLLM resolves os.environ/ of a config.yaml deployment once, when it loads the file: such
      // a deployment would keep the old key until a restart and fail once it is revoked.
      throw refuse(
          ProviderKeyFailures.NO_SUCH_MODEL_GROUP,
          "LiteLLM at "
              + req.gateway()
              + " also serves model group '"
              + req.modelGroup()
              + "' from config.yaml (deployment(s) "
              + fromConfig
              + "): the proxy reads their key once at start, so they would keep the old key and"
              + " fail when it is revoked. Move them to the database (/model/new), or rotate"
              + " this group without secretStore; nothing changed");
    }
    if (group.isEmpty()) {
      throw refuse(
          ProviderKeyFailures.NO_SUCH_MODEL_GROUP,
          "LiteLLM at "
              + req.gateway()
              + " has no stored deployment of model group '"
              + req.modelGroup()
              + "' (/model/info): check modelGroup in keyturn.yaml (it is the model_name clients"
              + " call), or add the model with /model/new first");
    }
    log.info(
        "provider-key preflight of {}: {} deployment(s) {}",
        req.modelGroup(),
        group.size(),
        group.stream().map(ProviderDeployment::id).toList());
    return group;
  }

  /**
   * The group's deployments stored in the proxy's database; the ids of those from config.yaml
   * (which the proxy cannot change at run time) are added to {@code fromConfig}.
   */
  private List<ProviderDeployment> group(String gw, String modelGroup, List<String> fromConfig) {
    Reply r = proxy("GET", gw, "/model/info", null, true);
    if (r.status() == 401 || r.status() == 403) {
      throw refuse(
          ProviderKeyFailures.PROXY_REFUSED,
          "LiteLLM at "
              + gw
              + " refused the worker's admin key (HTTP "
              + r.status()
              + "): check LITELLM_MASTER_KEY_FILE on the worker");
    }
    if (r.status() != 200) {
      throw ApplicationFailure.newFailure(
          "LiteLLM at " + gw + " answered /model/info with HTTP " + r.status() + " (retrying)",
          RotationFailures.TRANSIENT);
    }
    List<ProviderDeployment> out = new ArrayList<>();
    for (JsonNode m : HttpBodies.tree(r.body()).path("data")) {
      if (!modelGroup.equals(m.path("model_name").asText())) {
        continue;
      }
      if (!m.path("model_info").path("db_model").asBoolean(false)) {
        fromConfig.add(m.path("model_info").path("id").asText());
        continue;
      }
      JsonNode keyId = m.path("model_info").path(KEY_ID_FIELD);
      out.add(
          new ProviderDeployment(
              m.path("model_info").path("id").asText(),
              m.path("litellm_params").path("model").asText(),
              m.path("litellm_params").path("api_base").isTextual()
                  ? m.path("litellm_params").path("api_base").asText()
                  : null,
              keyId.isTextual() ? keyId.asText() : null));
    }
    return out;
  }

  @Override
  public ProviderKey createKey(ProviderKeyRequest req, String name) {
    KeyProvider p = provider(req);
    KeyProvider.Created c = p.create(req.settings(), name);
    ProviderKey k =
        new ProviderKey(
            new KeyRef(KeyMaterial.tokenHash(c.value()), c.display()),
            keyring.seal(c.value()),
            c.providerId());
    log.info("created provider key {} ({}) at {}", k.fingerprint(), c.providerId(), p.name());
    return k;
  }

  @Override
  public ProviderKey describeProvided(ProviderKeyRequest req, SealedSecret sealed) {
    String value;
    try {
      value = keyring.open(sealed).strip();
    } catch (IllegalArgumentException e) {
      throw refuse(ProviderKeyFailures.KEY_REJECTED, e.getMessage());
    }
    if (value.isEmpty()) {
      throw refuse(ProviderKeyFailures.KEY_REJECTED, "the provided key is empty");
    }
    KeyShape shape =
        ProviderTypes.find(req.provider())
            .map(t -> t.keyShape(req.settings()))
            .orElse(KeyShape.API_KEY);
    String shown;
    try {
      shown = shape.displayName(value);
    } catch (IllegalArgumentException e) {
      // the message names the fields, never the value
      throw refuse(
          ProviderKeyFailures.KEY_REJECTED,
          "the key provided for model group '"
              + req.modelGroup()
              + "' is not "
              + shape.description()
              + ": "
              + e.getMessage()
              + ". Provide it again in that form");
    }
    return new ProviderKey(new KeyRef(KeyMaterial.tokenHash(value), shown), sealed, null);
  }

  @Override
  public void verifyAtProvider(ProviderKeyRequest req, String apiBase, ProviderKey key) {
    KeyProvider p = provider(req);
    if (p.verifyAtProvider(req.settings(), keyring.open(key.sealed()))) {
      log.info("{} accepted key {}", p.name(), key.fingerprint());
      return;
    }
    String base = apiBase == null ? "https://api.openai.com/v1" : apiBase;
    Reply r;
    try {
      r =
          http.send(
              "GET",
              base + "/models",
              Map.of("Authorization", "Bearer " + keyring.open(key.sealed())),
              null);
    } catch (JsonHttp.TransportException e) {
      throw ApplicationFailure.newFailure(
          "the provider at " + base + " is unreachable: " + e.getMessage() + " (retrying)",
          RotationFailures.TRANSIENT);
    }
    if (r.status() == 200) {
      log.info("provider at {} accepted key {}", base, key.fingerprint());
      return;
    }
    if (r.status() >= 500 || r.status() == 429) {
      throw ApplicationFailure.newFailure(
          "the provider at " + base + " answered HTTP " + r.status() + " (retrying)",
          RotationFailures.TRANSIENT);
    }
    throw refuse(
        ProviderKeyFailures.KEY_REJECTED,
        "the provider at "
            + base
            + " refused key "
            + key.fingerprint()
            + " (HTTP "
            + r.status()
            + " on GET /models)");
  }

  @Override
  public String addDeployment(
      ProviderKeyRequest req, ProviderDeployment like, ProviderKey key, String id) {
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("model", like.litellmModel());
    if (like.apiBase() != null) {
      params.put("api_base", like.apiBase());
    }
    params.putAll(provider(req).litellmParams(req.settings(), keyring.open(key.sealed())));
    Map<String, Object> info = new LinkedHashMap<>();
    info.put("id", id);
    info.put("keyturn_rotation", req.workflowId());
    info.put("keyturn_key_fingerprint", key.fingerprint());
    if (key.providerId() != null) {
      info.put(KEY_ID_FIELD, key.providerId());
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model_name", req.modelGroup());
    body.put("litellm_params", params);
    body.put("model_info", info);
    Reply r = proxy("POST", req.gateway(), "/model/new", HttpBodies.write(body), false);
    if (r.status() == 200) {
      log.info("added deployment {} of {} with key {}", id, req.modelGroup(), key.fingerprint());
      return id;
    }
    Reply info2 =
        proxy(
            "GET",
            req.gateway(),
            "/model/info?litellm_model_id=" + URLEncoder.encode(id, StandardCharsets.UTF_8),
            null,
            false);
    if (info2.status() == 200) {
      for (JsonNode m : HttpBodies.tree(info2.body()).path("data")) {
        if (id.equals(m.path("model_info").path("id").asText())) {
          log.info("deployment {} is there already (a retried add): adopted", id);
          return id;
        }
      }
    }
    String msg = HttpBodies.tree(r.body()).path("error").path("message").asText("");
    if (r.status() >= 500 || r.status() == 429) {
      throw ApplicationFailure.newFailure(
          "/model/new answered HTTP " + r.status() + ": " + msg + " (retrying)",
          RotationFailures.TRANSIENT);
    }
    throw refuse(
        ProviderKeyFailures.PROXY_REFUSED, "/model/new answered HTTP " + r.status() + ": " + msg);
  }

  @Override
  public void verifyDeployment(String gw, String id) {
    Reply r =
        proxy(
            "GET",
            gw,
            "/health?model_id=" + URLEncoder.encode(id, StandardCharsets.UTF_8),
            null,
            false);
    JsonNode n = HttpBodies.tree(r.body());
    if (r.status() == 200 && n.path("healthy_count").asInt(0) > 0) {
      log.info("deployment {} answered through {}", id, gw);
      return;
    }
    String why = n.path("unhealthy_endpoints").path(0).path("error").asText("HTTP " + r.status());
    if (r.status() >= 500) {
      throw ApplicationFailure.newFailure(
          "/health?model_id=" + id + " answered HTTP " + r.status() + " (retrying)",
          RotationFailures.TRANSIENT);
    }
    throw refuse(
        ProviderKeyFailures.KEY_REJECTED,
        "deployment " + id + " did not answer through the proxy: " + why);
  }

  @Override
  public String deleteDeployment(String gw, String id) {
    Reply r = proxy("POST", gw, "/model/delete", HttpBodies.write(Map.of("id", id)), false);
    if (r.status() == 200) {
      log.info("deleted deployment {} at {}", id, gw);
      return "Deployment " + id + " was deleted.";
    }
    String msg = HttpBodies.tree(r.body()).path("error").path("message").asText("");
    if (r.status() == 400 && msg.contains("not found")) {
      return "Deployment " + id + " was not there (already gone).";
    }
    throw ApplicationFailure.newFailure(
        "/model/delete of " + id + " answered HTTP " + r.status() + ": " + msg + " (retrying)",
        RotationFailures.TRANSIENT);
  }

  @Override
  public List<String> earlierKeys(ProviderKeyRequest req, String newKeyId) {
    List<String> out = new ArrayList<>();
    provider(req)
        .namesById(req.settings())
        .forEach(
            (id, name) -> {
              if (!id.equals(newKeyId) && req.namesKeyOfThisGroup(name)) {
                out.add(id);
              }
            });
    log.info("earlier keys of model group '{}' at {}: {}", req.modelGroup(), req.provider(), out);
    return out;
  }

  @Override
  public String revokeKey(ProviderKeyRequest req, String providerId) {
    KeyProvider p = provider(req);
    if (!p.automated()) {
      return "";
    }
    boolean now = p.revoke(req.settings(), providerId);
    log.info("provider key {} at {}: {}", providerId, p.name(), now ? "revoked" : "already gone");
    return providerId + (now ? " revoked" : " already gone");
  }

  private Reply proxy(String method, String gw, String path, String body, boolean preflight) {
    try {
      return http.send(
          method, gw + path, Map.of("Authorization", "Bearer " + proxyKey.get()), body);
    } catch (JsonHttp.TransportException e) {
      if (preflight) {
        throw refuse(
            ProviderKeyFailures.PROXY_REFUSED,
            "LiteLLM at " + gw + " is unreachable: " + e.getMessage());
      }
      throw ApplicationFailure.newFailure(
          "LiteLLM at " + gw + " is unreachable: " + e.getMessage() + " (retrying)",
          RotationFailures.TRANSIENT);
    }
  }

  private static ApplicationFailure refuse(String type, String message) {
    return ApplicationFailure.newNonRetryableFailure(message, type);
  }
}
