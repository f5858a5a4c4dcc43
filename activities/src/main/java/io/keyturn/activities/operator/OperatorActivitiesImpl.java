package io.keyturn.activities.operator;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.keyturn.activities.store.RotationContext;
import io.keyturn.activities.store.SecretStore;
import io.keyturn.activities.store.SecretStoreRegistry;
import io.keyturn.activities.store.StoreReceipt;
import io.keyturn.gateway.litellm.Answer;
import io.keyturn.gateway.litellm.KeyInfoResponse;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.gateway.litellm.ModelsResponse;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.operator.OperatorActivities;
import io.keyturn.workflows.operator.VirtualKeyCopy;
import io.keyturn.workflows.operator.VirtualKeyLineage;
import io.temporal.failure.ApplicationFailure;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link OperatorActivities} with fabric8 (the worker's in-cluster service account or kubeconfig;
 * RBAC: get, list, create, delete on virtualkeys.auth.litellm.ai and get on secrets in the
 * namespace), the proxy through {@link LiteLlmClient} and the destinations through the store
 * registry. A key value read from the operator's Secret never leaves the method that read it.
 */
public class OperatorActivitiesImpl implements OperatorActivities {
  private static final Logger log = LoggerFactory.getLogger(OperatorActivitiesImpl.class);

  public static final String MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
  public static final String LINEAGE_LABEL = "keyturn.io/lineage";
  public static final String GENERATION_LABEL = "keyturn.io/generation";
  public static final String SECRET_LABEL = "keyturn.io/secret";
  public static final String WORKFLOW_ANNOTATION = "keyturn.io/workflow-id";
  public static final String REPLACES_ANNOTATION = "keyturn.io/replaces";

  private final Supplier<KubernetesClient> clients;
  private final LiteLlmClient proxy;
  private final SecretStoreRegistry stores;

  public OperatorActivitiesImpl(
      Supplier<KubernetesClient> clients, LiteLlmClient proxy, SecretStoreRegistry stores) {
    this.clients = clients;
    this.proxy = proxy;
    this.stores = stores;
  }

  @Override
  public VirtualKeyLineage lineage(String virtualKey, String secretId) {
    String[] ref = split(virtualKey);
    String ns = ref[0];
    String base = ref[1];
    try (KubernetesClient k8s = clients.get()) {
      var vks = k8s.genericKubernetesResources(KubernetesVirtualKeys.CRD).inNamespace(ns);
      List<GenericKubernetesResource> present = new ArrayList<>();
      GenericKubernetesResource original = vks.withName(base).get();
      if (original != null && !deleting(original)) {
        present.add(original);
      }
      for (GenericKubernetesResource c : vks.withLabel(LINEAGE_LABEL, base).list().getItems()) {
        if (!deleting(c) && !c.getMetadata().getName().equals(base)) {
          present.add(c);
        }
      }
      if (present.isEmpty()) {
        throw ApplicationFailure.newNonRetryableFailure(
            "VirtualKey "
                + virtualKey
                + " does not exist, nor any copy Keyturn made of it: check operator.virtualKey of"
                + " secret "
                + secretId
                + " in keyturn.yaml (<namespace>/<name> of the VirtualKey the operator manages).",
            RotationFailures.OLD_KEY_NOT_FOUND);
      }
      present.sort(Comparator.comparingInt(OperatorActivitiesImpl::generation));
      GenericKubernetesResource current = present.get(present.size() - 1);
      String baseAlias =
          original != null
              ? KubernetesVirtualKeys.keyAliasOf(original)
              : annotation(current, REPLACES_ANNOTATION + "-base-alias");
      int next =
          Math.max(
                  generation(current),
                  vks.withLabel(LINEAGE_LABEL, base).list().getItems().stream()
                      .mapToInt(OperatorActivitiesImpl::generation)
                      .max()
                      .orElse(1))
              + 1;
      List<String> older =
          present.subList(0, present.size() - 1).stream()
              .map(r -> r.getMetadata().getName())
              .toList();
      return new VirtualKeyLineage(
          ns,
          base,
          baseAlias,
          current.getMetadata().getName(),
          status(current, "token"),
          older,
          next);
    } catch (KubernetesClientException e) {
      throw unreachable("reading VirtualKey " + virtualKey, e);
    }
  }

  @Override
  public VirtualKeyCopy createCopy(VirtualKeyLineage l, String secretId, String workflowId) {
    String name = l.nextName();
    String alias = l.nextAlias();
    try (KubernetesClient k8s = clients.get()) {
      var vks =
          k8s.genericKubernetesResources(KubernetesVirtualKeys.CRD).inNamespace(l.namespace());
      GenericKubernetesResource existing = vks.withName(name).get();
      if (existing != null) {
        return adopt(existing, l, workflowId);
      }
      GenericKubernetesResource current = vks.withName(l.current()).get();
      if (current == null) {
        throw ApplicationFailure.newFailure(
            "VirtualKey " + l.namespace() + "/" + l.current() + " disappeared; retrying",
            RotationFailures.TRANSIENT);
      }
      Map<String, Object> spec = new LinkedHashMap<>(specOf(current));
      spec.remove("key"); // the operator mints a fresh value; a value never goes into a spec
      spec.put("keyAlias", alias);
      GenericKubernetesResource copy = new GenericKubernetesResource();
      copy.setApiVersion(KubernetesVirtualKeys.API_VERSION);
      copy.setKind(KubernetesVirtualKeys.KIND);
      ObjectMeta meta = new ObjectMeta();
      meta.setNamespace(l.namespace());
      meta.setName(name);
      Map<String, String> labels = new LinkedHashMap<>();
      if (current.getMetadata().getLabels() != null) {
        current.getMetadata().getLabels().forEach(labels::put);
      }
      labels.put(MANAGED_BY_LABEL, "keyturn");
      labels.put(LINEAGE_LABEL, l.base());
      labels.put(GENERATION_LABEL, String.valueOf(l.nextGeneration()));
      labels.put(SECRET_LABEL, labelValue(secretId));
      meta.setLabels(labels);
      meta.setAnnotations(
          Map.of(
              WORKFLOW_ANNOTATION,
              workflowId,
              REPLACES_ANNOTATION,
              l.current(),
              REPLACES_ANNOTATION + "-base-alias",
              l.baseAlias()));
      copy.setMetadata(meta);
      copy.setAdditionalProperty("spec", spec);
      try {
        vks.resource(copy).create();
      } catch (KubernetesClientException e) {
        if (e.getCode() == 409) {
          return adopt(vks.withName(name).get(), l, workflowId);
        }
        throw e;
      }
      log.info("created VirtualKey {}/{} (alias {})", l.namespace(), name, alias);
      return new VirtualKeyCopy(l.namespace(), name, alias, l.nextGeneration(), false);
    } catch (KubernetesClientException e) {
      throw unreachable("creating VirtualKey " + l.namespace() + "/" + name, e);
    }
  }

  private VirtualKeyCopy adopt(GenericKubernetesResource vk, VirtualKeyLineage l, String wf) {
    String where = l.namespace() + "/" + l.nextName();
    if (vk == null || !wf.equals(annotation(vk, WORKFLOW_ANNOTATION))) {
      throw ApplicationFailure.newNonRetryableFailure(
          "VirtualKey "
              + where
              + " exists and was not made by this rotation ("
              + wf
              + "): refusing to take it over. Delete it if it is a leftover, or rotate again.",
          RotationFailures.ALIAS_TAKEN);
    }
    log.info("adopted VirtualKey {} made by an earlier attempt", where);
    return new VirtualKeyCopy(l.namespace(), l.nextName(), l.nextAlias(), l.nextGeneration(), true);
  }

  @Override
  public KeyRef awaitReady(VirtualKeyCopy copy) {
    return KeyMaterial.ref(readKey(copy, true));
  }

  @Override
  public void verifyCopy(String gatewayUrl, VirtualKeyCopy copy, KeyRef key) {
    String raw = readKey(copy, false);
    same(copy, key, raw);
    Answer<ModelsResponse> models = proxy.models(gatewayUrl, raw);
    if (models.status() == 401 || models.status() == 403) {
      throw ApplicationFailure.newNonRetryableFailure(
          "LiteLLM "
              + gatewayUrl
              + " refuses the key of "
              + copy.ref()
              + ", "
              + key.fingerprint()
              + ", on /v1/models ("
              + models.status()
              + "): does the operator manage keys on this proxy?",
          RotationFailures.VERIFY_FAILED);
    }
    if (!models.ok()) {
      throw models.error().toFailure(gatewayUrl, "verifying " + key.fingerprint());
    }
    log.info("verified {} of {} at {}", key.fingerprint(), copy.ref(), gatewayUrl);
  }

  @Override
  public PublishReceipt publishCopy(
      Destination d, VirtualKeyCopy copy, KeyRef key, String workflowId) {
    String raw = readKey(copy, false);
    same(copy, key, raw);
    SecretStore s = stores.create(d);
    try {
      StoreReceipt r = s.write(raw, new RotationContext(workflowId, "g" + copy.generation()));
      String back = s.currentFingerprint().orElse("");
      if (!back.equals(key.tokenHash())) {
        throw ApplicationFailure.newNonRetryableFailure(
            "read-back of "
                + s.location()
                + " does not hold "
                + key.fingerprint()
                + " after writing it: another writer or replication lag",
            RotationFailures.PUBLISH_MISMATCH);
      }
      log.info(
          "{} {} of {} to {}",
          r.written() ? "published" : "already published",
          key.fingerprint(),
          copy.ref(),
          s.location());
      return new PublishReceipt(
          s.location(), numeric(r.version()), numeric(r.previousVersion()), r.written());
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

  @Override
  public String deleteVirtualKey(String namespace, String name) {
    try (KubernetesClient k8s = clients.get()) {
      var vk =
          k8s.genericKubernetesResources(KubernetesVirtualKeys.CRD)
              .inNamespace(namespace)
              .withName(name);
      if (vk.get() == null) {
        return "VirtualKey " + namespace + "/" + name + " is already gone.";
      }
      vk.delete();
      log.info("deleted VirtualKey {}/{}", namespace, name);
      return "deleted VirtualKey "
          + namespace
          + "/"
          + name
          + " (the operator's finalizer deletes its key).";
    } catch (KubernetesClientException e) {
      throw unreachable("deleting VirtualKey " + namespace + "/" + name, e);
    }
  }

  @Override
  public void awaitGone(String gatewayUrl, String namespace, String name, String tokenHash) {
    try (KubernetesClient k8s = clients.get()) {
      if (k8s.genericKubernetesResources(KubernetesVirtualKeys.CRD)
              .inNamespace(namespace)
              .withName(name)
              .get()
          != null) {
        throw ApplicationFailure.newFailure(
            "VirtualKey "
                + namespace
                + "/"
                + name
                + " is still being deleted (its finalizer waits for the operator; an operator"
                + " that lost its master key hangs here until it is restarted)",
            RotationFailures.TRANSIENT);
      }
    } catch (KubernetesClientException e) {
      throw unreachable("reading VirtualKey " + namespace + "/" + name, e);
    }
    if (tokenHash != null && !tokenHash.isEmpty()) {
      Answer<KeyInfoResponse> a = proxy.keyInfo(gatewayUrl, tokenHash);
      if (a.ok() && !a.body().info().deleted()) {
        throw ApplicationFailure.newFailure(
            "the old key of VirtualKey "
                + namespace
                + "/"
                + name
                + " is still live at "
                + gatewayUrl
                + " although the VirtualKey is gone",
            RotationFailures.TRANSIENT);
      }
    }
  }

  /**
   * The key in the copy's Secret. {@code waiting}: a copy not Ready yet, or without its Secret, is
   * a retryable failure (the operator has not reconciled it yet).
   */
  private String readKey(VirtualKeyCopy copy, boolean waiting) {
    try (KubernetesClient k8s = clients.get()) {
      GenericKubernetesResource vk =
          k8s.genericKubernetesResources(KubernetesVirtualKeys.CRD)
              .inNamespace(copy.namespace())
              .withName(copy.name())
              .get();
      if (vk == null) {
        throw ApplicationFailure.newNonRetryableFailure(
            "VirtualKey " + copy.ref() + " is gone: someone deleted it during the rotation",
            RotationFailures.OLD_KEY_NOT_FOUND);
      }
      String secretName = status(vk, "keySecretRef");
      if (!ready(vk) || secretName.isEmpty()) {
        throw notYet(copy, "the operator has not reported it Ready yet" + condition(vk));
      }
      Secret s = k8s.secrets().inNamespace(copy.namespace()).withName(secretName).get();
      String encoded = s == null || s.getData() == null ? null : s.getData().get("key");
      if (encoded == null || encoded.isEmpty()) {
        throw notYet(copy, "its Secret " + secretName + " holds no key yet");
      }
      return new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8).strip();
    } catch (KubernetesClientException e) {
      throw unreachable("reading VirtualKey " + copy.ref() + " and its Secret", e);
    }
  }

  private static ApplicationFailure notYet(VirtualKeyCopy copy, String why) {
    return ApplicationFailure.newFailure(
        "waiting for VirtualKey " + copy.ref() + ": " + why, RotationFailures.TRANSIENT);
  }

  /**
   * The Secret must still hold the key the rotation saw: the operator re-mints nothing silently.
   */
  private static void same(VirtualKeyCopy copy, KeyRef key, String raw) {
    KeyRef now = KeyMaterial.ref(raw);
    if (!now.tokenHash().equals(key.tokenHash())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the Secret of VirtualKey "
              + copy.ref()
              + " now holds "
              + now.fingerprint()
              + " instead of "
              + key.fingerprint()
              + ": the operator minted again (was the key deleted at the proxy?). Nothing was"
              + " revoked; rotate again.",
          RotationFailures.PUBLISH_MISMATCH);
    }
  }

  private static ApplicationFailure unreachable(String what, KubernetesClientException e) {
    return ApplicationFailure.newFailure(
        what
            + " failed (HTTP "
            + e.getCode()
            + "): the worker's Kubernetes client needs get, list, create, delete on"
            + " virtualkeys.auth.litellm.ai and get on secrets there",
        RotationFailures.TRANSIENT);
  }

  static String[] split(String virtualKey) {
    String[] p = virtualKey == null ? new String[0] : virtualKey.split("/", -1);
    if (p.length != 2 || p[0].isBlank() || p[1].isBlank()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "operator.virtualKey is " + virtualKey + ": give <namespace>/<name>",
          RotationFailures.DESTINATION_INVALID);
    }
    return p;
  }

  private static boolean deleting(GenericKubernetesResource r) {
    return r.getMetadata().getDeletionTimestamp() != null
        && !r.getMetadata().getDeletionTimestamp().isEmpty();
  }

  static int generation(GenericKubernetesResource r) {
    Map<String, String> labels = r.getMetadata().getLabels();
    try {
      return labels == null || labels.get(GENERATION_LABEL) == null
          ? 1
          : Integer.parseInt(labels.get(GENERATION_LABEL));
    } catch (NumberFormatException e) {
      return 1;
    }
  }

  private static String annotation(GenericKubernetesResource r, String name) {
    Map<String, String> a = r.getMetadata().getAnnotations();
    return a == null || a.get(name) == null ? "" : a.get(name);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> specOf(GenericKubernetesResource r) {
    Object spec = r.getAdditionalProperties().get("spec");
    return spec instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private static String status(GenericKubernetesResource r, String field) {
    Object status = r.getAdditionalProperties().get("status");
    return status instanceof Map<?, ?> m && m.get(field) instanceof String s ? s : "";
  }

  private static boolean ready(GenericKubernetesResource r) {
    return conditions(r).stream()
        .anyMatch(c -> "Ready".equals(c.get("type")) && "True".equals(c.get("status")));
  }

  private static String condition(GenericKubernetesResource r) {
    return conditions(r).stream()
        .filter(c -> "Ready".equals(c.get("type")))
        .map(c -> " (Ready=" + c.get("status") + ": " + c.get("message") + ")")
        .findFirst()
        .orElse("");
  }

  private static List<Map<?, ?>> conditions(GenericKubernetesResource r) {
    Object status = r.getAdditionalProperties().get("status");
    if (status instanceof Map<?, ?> m && m.get("conditions") instanceof List<?> l) {
      return l.stream().filter(Map.class::isInstance).<Map<?, ?>>map(c -> (Map<?, ?>) c).toList();
    }
    return List.of();
  }

  private static String labelValue(String s) {
    String v = s.replaceAll("[^A-Za-z0-9_.-]", "-");
    v = v.length() > 63 ? v.substring(0, 63) : v;
    return v.replaceAll("^[^A-Za-z0-9]+|[^A-Za-z0-9]+$", "");
  }

  private static long numeric(String version) {
    try {
      return version == null || version.isEmpty() ? 0 : Long.parseLong(version);
    } catch (NumberFormatException e) {
      return -1;
    }
  }
}
