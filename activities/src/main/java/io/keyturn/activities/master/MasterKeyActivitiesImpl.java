package io.keyturn.activities.master;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.activities.audit.RunningOnProxy;
import io.keyturn.activities.store.RotationContext;
import io.keyturn.activities.store.SecretStore;
import io.keyturn.activities.store.SecretStoreRegistry;
import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.gateway.http.Redact;
import io.keyturn.workflows.MasterKeyActivities;
import io.keyturn.workflows.MasterKeyFailures;
import io.keyturn.workflows.ProviderKeyRotationWorkflow;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyDerivation;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MasterKey;
import io.keyturn.workflows.model.MasterKeyPreflight;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.PublishReceipt;
import io.temporal.failure.ApplicationFailure;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master-key rotation's calls. Key values are opened (sealed) or derived here and go only into
 * HTTP headers and bodies to the proxy and into the stores; logs, failures and return values carry
 * fingerprints. {@code /key/regenerate} echoes the new master key in its answer: that body is never
 * read.
 */
public final class MasterKeyActivitiesImpl implements MasterKeyActivities {
  private static final Logger log = LoggerFactory.getLogger(MasterKeyActivitiesImpl.class);

  private final JsonHttp http;
  private final SecretStoreRegistry stores;
  private final WorkerKeyring keyring;
  private final KubernetesRestart kubernetes;
  private volatile RunningOnProxy onProxy = RunningOnProxy.NONE;

  public MasterKeyActivitiesImpl(
      JsonHttp http, SecretStoreRegistry stores, WorkerKeyring keyring, KubernetesRestart k8s) {
    this.http = http;
    this.stores = stores;
    this.keyring = keyring;
    this.kubernetes = k8s;
  }

  private String open(MasterKey k) {
    return k.sealed() != null ? keyring.open(k.sealed()) : keyring.deriveKey(k.derivation());
  }

  /**
   * How the provider-key rotations running on a proxy are found (the worker's Temporal visibility);
   * none by default.
   */
  public void runningOnProxy(RunningOnProxy running) {
    this.onProxy = running;
  }

  // ------------------------------------------------------------------ preflight

  @Override
  public MasterKeyPreflight preflight(MasterKeyRequest req) {
    // Before anything else: a provider key being swapped adds and removes stored credentials.
    List<String> providerRotations =
        onProxy.running(ProviderKeyRotationWorkflow.WORKFLOW_TYPE, req.gateway());
    if (!providerRotations.isEmpty()) {
      throw refuse(
          MasterKeyFailures.PROVIDER_KEY_ROTATING,
          "the provider-key rotation"
              + (providerRotations.size() == 1 ? " " : "s ")
              + String.join(", ", providerRotations)
              + (providerRotations.size() == 1 ? " is" : " are")
              + " running on LiteLLM at "
              + req.gateway()
              + " (it adds and removes stored model credentials, which a master-key rotation"
              + " re-encrypts): rotate the master key once "
              + (providerRotations.size() == 1 ? "it has" : "they have")
              + " ended (`keyturn provider-status "
              + providerRotations.get(0)
              + "`)");
    }
    for (Destination d : req.destinations()) {
      onStore(
          d,
          s -> {
            try {
              s.checkUsable();
            } catch (ApplicationFailure f) {
              throw refuse(
                  RotationFailures.DESTINATION_INVALID,
                  "destination " + d.describe() + " cannot be written: " + f.getOriginalMessage());
            }
            return null;
          });
    }
    Destination primary = req.destinations().get(0);
    Optional<String> value = onStore(primary, SecretStore::currentValue);
    if (value.isEmpty()) {
      throw refuse(
          MasterKeyFailures.NO_CURRENT_MASTER_KEY,
          primary.describe()
              + " holds no master key. The first destination must be where the proxy reads its"
              + " LITELLM_MASTER_KEY now: put the current key there (or list that place first).");
    }
    String current = value.get().strip();
    KeyRef ref = KeyMaterial.ref(current);
    String gw = req.gateway();
    Reply ready = send("GET", gw, "/health/readiness", null, null, true);
    JsonNode readiness = HttpBodies.tree(ready.body());
    if (ready.status() != 200 || !"connected".equals(readiness.path("db").asText())) {
      throw refuse(
          MasterKeyFailures.PROXY_NOT_READY,
          "LiteLLM at "
              + gw
              + " is not ready with its database (HTTP "
              + ready.status()
              + ", db: "
              + readiness.path("db").asText("?")
              + "). Stored models and credentials live in the database: rotate once it is connected.");
    }
    Reply models = send("GET", gw, "/model/info", current, null, true);
    if (models.status() == 401 || models.status() == 403) {
      throw refuse(
          MasterKeyFailures.MASTER_KEY_REFUSED,
          "LiteLLM at "
              + gw
              + " refused the key in "
              + primary.describe()
              + " ("
              + ref.fingerprint()
              + ", HTTP "
              + models.status()
              + "): that is not the master key the proxy runs. Put the proxy's current"
              + " LITELLM_MASTER_KEY there first; nothing was changed.");
    }
    expectOk(models, gw, "/model/info");
    Reply self = send("GET", gw, "/key/info?key=" + enc(ref.tokenHash()), current, null, true);
    if (self.status() == 200 && HttpBodies.tree(self.body()).path("info").isObject()) {
      throw refuse(
          MasterKeyFailures.MASTER_KEY_REFUSED,
          primary.describe()
              + " holds a virtual key ("
              + ref.fingerprint()
              + "), not the proxy's master key: rotate it with `keyturn rotate`, or point the"
              + " master-key rotation at where LITELLM_MASTER_KEY is kept.");
    }
    List<String> ids = storedModelIds(models);
    List<String> healthy = new ArrayList<>();
    for (String id : ids) {
      if (healthy(gw, current, id)) {
        healthy.add(id);
      }
    }
    int creds = credentialCount(gw, current);
    log.info(
        "master-key preflight of {}: key {} accepted, {} stored model(s) ({} healthy), {}"
            + " credential(s)",
        req.id(),
        ref.fingerprint(),
        ids.size(),
        healthy.size(),
        creds);
    return new MasterKeyPreflight(
        new MasterKey(ref, keyring.seal(current), null), ids.size(), healthy, creds);
  }

  @Override
  public MasterKey generate(KeyDerivation derivation) {
    KeyDerivation bound = keyring.bind(derivation);
    return new MasterKey(KeyMaterial.ref(keyring.deriveKey(bound)), null, bound);
  }

  // ------------------------------------------------------------------ probe key

  @Override
  public MasterKey mintProbe(String gw, MasterKey admin, KeyDerivation derivation) {
    KeyDerivation bound = keyring.bind(derivation);
    String raw = keyring.deriveKey(bound);
    KeyRef ref = KeyMaterial.ref(raw);
    MasterKey probe = new MasterKey(ref, null, bound);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("key", raw);
    body.put("key_alias", "keyturn-master-probe-" + ref.tokenHash().substring(0, 12));
    body.put("duration", "2h");
    body.put("metadata", Map.of("keyturn", "master-key-probe"));
    Reply r = send("POST", gw, "/key/generate", open(admin), HttpBodies.write(body), false);
    if (r.status() == 200) {
      return probe;
    }
    Reply info = send("GET", gw, "/key/info?key=" + enc(ref.tokenHash()), open(admin), null, false);
    if (info.status() == 200) {
      return probe; // a retried mint: the first attempt made it
    }
    throw failure(r, gw, "minting the probe virtual key");
  }

  @Override
  public String deleteProbe(String gw, List<MasterKey> keys, MasterKey probe) {
    String body = HttpBodies.write(Map.of("keys", List.of(probe.ref().tokenHash())));
    for (MasterKey k : keys) {
      Reply r = send("POST", gw, "/key/delete", open(k), body, false);
      if (r.ok()) {
        return "the probe virtual key " + probe.fingerprint() + " was deleted.";
      }
      if (r.status() == 404) {
        return "";
      }
    }
    throw ApplicationFailure.newFailure(
        "LiteLLM at " + gw + " accepted neither master key to delete the probe (retrying)",
        RotationFailures.TRANSIENT);
  }

  // ------------------------------------------------------------------ re-encrypt, publish

  @Override
  public void reencrypt(String gw, MasterKey from, MasterKey to) {
    String current = open(from);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("key", current);
    body.put("new_master_key", open(to));
    Reply r = send("POST", gw, "/key/regenerate", current, HttpBodies.write(body), false);
    if (r.ok()) {
      // The answer echoes new_master_key: it is dropped unread.
      log.info(
          "LiteLLM at {} re-encrypted its stored values from {} to {}",
          gw,
          from.fingerprint(),
          to.fingerprint());
      return;
    }
    String why = "HTTP " + r.status() + " " + Redact.keys(shortBody(r));
    if (r.status() >= 400 && r.status() < 500) {
      throw refuse(
          MasterKeyFailures.REENCRYPT_REFUSED,
          "LiteLLM at " + gw + " refused /key/regenerate with new_master_key: " + why);
    }
    throw ApplicationFailure.newNonRetryableFailure(
        "LiteLLM at " + gw + " failed /key/regenerate with new_master_key: " + why,
        MasterKeyFailures.NEEDS_OPERATOR);
  }

  @Override
  public PublishReceipt publish(Destination d, MasterKey key, String workflowId) {
    String raw = open(key);
    return onStore(
        d,
        s -> {
          var r = s.write(raw, new RotationContext(workflowId, "master-key"));
          String back = s.currentFingerprint().orElse("");
          if (!back.equals(key.ref().tokenHash())) {
            throw refuse(
                RotationFailures.PUBLISH_MISMATCH,
                "read-back of "
                    + s.location()
                    + " does not hold "
                    + key.fingerprint()
                    + " after writing it: another writer or replication lag");
          }
          log.info(
              "{} master key {} to {}",
              r.written() ? "published" : "already published",
              key.fingerprint(),
              s.location());
          return new PublishReceipt(s.location(), -1, -1, r.written());
        });
  }

  // ------------------------------------------------------------------ restart

  @Override
  public void restartWebhook(String url, String workflowId, String reason) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("workflow_id", workflowId);
    body.put("reason", reason);
    body.put("requested_by", "keyturn");
    Reply r;
    try {
      r = http.send("POST", url, Map.of(), HttpBodies.write(body));
    } catch (JsonHttp.TransportException e) {
      throw ApplicationFailure.newFailure(
          "restart webhook " + url + " is unreachable: " + e.getMessage() + " (retrying)",
          RotationFailures.TRANSIENT);
    }
    if (r.status() >= 200 && r.status() < 300) {
      log.info("restart webhook {} answered {} for {}", url, r.status(), workflowId);
      return;
    }
    String why = "HTTP " + r.status() + " " + Redact.keys(shortBody(r));
    if (r.status() >= 400 && r.status() < 500 && r.status() != 429) {
      throw refuse(
          MasterKeyFailures.RESTART_REFUSED,
          "restart webhook " + url + " refused: " + why + ". Fix restart.url in keyturn.yaml.");
    }
    throw ApplicationFailure.newFailure(
        "restart webhook " + url + " failed: " + why + " (retrying)", RotationFailures.TRANSIENT);
  }

  @Override
  public void restartKubernetes(
      String deployment, String namespace, String context, String workflowId, String stamp) {
    kubernetes.restart(deployment, namespace, context, stamp);
  }

  @Override
  public void awaitAccepted(String gw, MasterKey key) {
    Reply r = send("GET", gw, "/model/info", open(key), null, false);
    if (r.status() == 200) {
      return;
    }
    throw ApplicationFailure.newFailure(
        "LiteLLM at "
            + gw
            + " does not accept "
            + key.fingerprint()
            + " yet (HTTP "
            + r.status()
            + "): waiting for the restart (retrying)",
        RotationFailures.TRANSIENT);
  }

  // ------------------------------------------------------------------ verify

  @Override
  public List<String> verify(
      String gw, MasterKey expected, MasterKey refused, MasterKeyPreflight pre, MasterKey probe) {
    List<String> problems = new ArrayList<>();
    String key = open(expected);
    Reply models = send("GET", gw, "/model/info", key, null, false);
    if (models.status() != 200) {
      problems.add(expected.fingerprint() + " is not accepted (HTTP " + models.status() + ")");
      return problems;
    }
    Reply old = send("GET", gw, "/model/info", open(refused), null, false);
    if (old.status() == 200) {
      problems.add(
          refused.fingerprint() + " is still accepted: some replica still runs the previous key");
    }
    List<String> ids = storedModelIds(models);
    if (ids.size() != pre.storedModels()) {
      problems.add(
          "stored models: " + ids.size() + " now, " + pre.storedModels() + " before the rotation");
    }
    List<String> sick = new ArrayList<>();
    for (String id : pre.healthyModelIds()) {
      if (!healthy(gw, key, id)) {
        sick.add(id);
      }
    }
    if (!sick.isEmpty()) {
      problems.add(
          "stored model(s) "
              + String.join(", ", sick)
              + " no longer answer their health check (their params may not decrypt)");
    }
    int creds = credentialCount(gw, key);
    if (creds != pre.credentials()) {
      problems.add("credentials: " + creds + " now, " + pre.credentials() + " before the rotation");
    }
    Reply self = send("GET", gw, "/key/info", open(probe), null, false);
    if (self.status() != 200) {
      problems.add(
          "the probe virtual key "
              + probe.fingerprint()
              + " no longer authenticates (HTTP "
              + self.status()
              + ")");
    }
    log.info("master-key verify at {}: {}", gw, problems.isEmpty() ? "all good" : problems);
    return problems;
  }

  // ------------------------------------------------------------------ helpers

  private List<String> storedModelIds(Reply models) {
    List<String> ids = new ArrayList<>();
    for (JsonNode m : HttpBodies.tree(models.body()).path("data")) {
      JsonNode info = m.path("model_info");
      if (info.path("db_model").asBoolean(false)) {
        ids.add(info.path("id").asText());
      }
    }
    return ids;
  }

  private boolean healthy(String gw, String key, String modelId) {
    Reply r = send("GET", gw, "/health?model_id=" + enc(modelId), key, null, false);
    return r.status() == 200 && HttpBodies.tree(r.body()).path("healthy_count").asInt(0) > 0;
  }

  private int credentialCount(String gw, String key) {
    Reply r = send("GET", gw, "/credentials", key, null, false);
    expectOk(r, gw, "/credentials");
    return HttpBodies.tree(r.body()).path("credentials").size();
  }

  private static void expectOk(Reply r, String gw, String route) {
    if (r.status() != 200) {
      throw failure(r, gw, route);
    }
  }

  private static ApplicationFailure failure(Reply r, String gw, String what) {
    String text =
        "LiteLLM at "
            + gw
            + " answered HTTP "
            + r.status()
            + " to "
            + what
            + ": "
            + Redact.keys(shortBody(r));
    if (r.status() >= 500 || r.status() == 429) {
      return ApplicationFailure.newFailure(text + " (retrying)", RotationFailures.TRANSIENT);
    }
    return ApplicationFailure.newNonRetryableFailure(text, RotationFailures.GATEWAY_BAD_REQUEST);
  }

  private static String shortBody(Reply r) {
    String b = r.body() == null ? "" : r.body();
    return b.length() > 300 ? b.substring(0, 300) + "..." : b;
  }

  /** One call; {@code preflight} turns an unreachable proxy into a clear stop, else a retry. */
  private Reply send(
      String method, String gw, String path, String bearer, String body, boolean preflight) {
    Map<String, String> headers =
        bearer == null ? Map.of() : Map.of("Authorization", "Bearer " + bearer);
    try {
      return http.send(method, gw + path, headers, body);
    } catch (JsonHttp.TransportException e) {
      if (preflight) {
        throw refuse(
            MasterKeyFailures.PROXY_NOT_READY,
            "LiteLLM at " + gw + " is unreachable: " + e.getMessage());
      }
      throw ApplicationFailure.newFailure(
          "LiteLLM at " + gw + " is unreachable: " + e.getMessage() + " (retrying)",
          RotationFailures.TRANSIENT);
    }
  }

  private <T> T onStore(Destination d, Function<SecretStore, T> use) {
    SecretStore s;
    try {
      s = stores.create(d.type(), d.settings());
    } catch (IllegalArgumentException e) {
      throw refuse(
          RotationFailures.DESTINATION_INVALID,
          "destination " + d.describe() + ": " + e.getMessage());
    }
    try {
      return use.apply(s);
    } finally {
      if (s instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          log.debug("closing {} failed: {}", s.location(), e.toString());
        }
      }
    }
  }

  private static ApplicationFailure refuse(String type, String message) {
    return ApplicationFailure.newNonRetryableFailure(message, type);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
