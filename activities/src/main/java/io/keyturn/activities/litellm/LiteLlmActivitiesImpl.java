package io.keyturn.activities.litellm;

import io.keyturn.gateway.litellm.Answer;
import io.keyturn.gateway.litellm.DeleteKeysResponse;
import io.keyturn.gateway.litellm.GenerateKeyRequest;
import io.keyturn.gateway.litellm.GenerateKeyResponse;
import io.keyturn.gateway.litellm.KeyInfo;
import io.keyturn.gateway.litellm.KeyInfoResponse;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.gateway.litellm.ModelsResponse;
import io.keyturn.gateway.litellm.ProxyError;
import io.keyturn.workflows.LiteLlmActivities;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.KeyUse;
import io.keyturn.workflows.model.MintRequest;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.failure.ApplicationFailure;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The LiteLLM side of a rotation: import the old key's policy, mint under a versioned alias with a
 * derived value, verify with the new key itself, delete by token hash (the endpoints in
 * litellm/proxy/management_endpoints/key_management_endpoints.py and {@code /v1/models}, through
 * {@link LiteLlmClient}).
 */
public class LiteLlmActivitiesImpl implements LiteLlmActivities {
  private static final Logger log = LoggerFactory.getLogger(LiteLlmActivitiesImpl.class);

  /** Model names with a special meaning in a key's {@code models}: they are not model ids. */
  static final Set<String> SPECIAL_MODELS =
      Set.of("all-team-models", "all-proxy-models", "no-default-models");

  private final LiteLlmClient proxy;
  private final WorkerKeyring secret;
  private io.keyturn.activities.operator.VirtualKeyClaims claims =
      io.keyturn.activities.operator.VirtualKeyClaims.NONE;

  public LiteLlmActivitiesImpl(LiteLlmClient proxy, WorkerKeyring secret) {
    this.proxy = proxy;
    this.secret = secret;
  }

  /**
   * Checks, before a key's policy is imported, whether a VirtualKey of the LiteLLM operator claims
   * its alias (the worker has Kubernetes access): such a key is refused as one whose metadata says
   * {@code managed_by: litellm-operator} is.
   */
  public LiteLlmActivitiesImpl withVirtualKeyClaims(
      io.keyturn.activities.operator.VirtualKeyClaims claims) {
    this.claims = claims;
    return this;
  }

  @Override
  public KeyPolicy importPolicy(String gatewayUrl, KeyRef key) {
    KeyPolicy policy = proxy.policyOf(gatewayUrl, key);
    io.keyturn.activities.operator.OperatorRefusal.refuseIfClaimed(claims, proxy, gatewayUrl, key);
    log.info("imported policy of {}: fields {}", key.fingerprint(), policy.fields().keySet());
    return policy;
  }

  @Override
  public MintedKey mintKey(MintRequest req) {
    // Bound to the worker's current key here, once; the minted key carries the binding on.
    req = req.withDerivation(secret.bind(req.derivation()));
    String raw = secret.deriveKey(req.derivation());
    KeyRef ref = KeyMaterial.ref(raw);
    Map<String, Object> policy = new LinkedHashMap<>(req.policy().fields());
    Map<String, Object> metadata = new LinkedHashMap<>();
    if (policy.get("metadata") instanceof Map<?, ?> m) {
      m.forEach((k, v) -> metadata.put(String.valueOf(k), v));
    }
    // Whoever manages the old key does not manage the new one: an operator's marker stays behind.
    metadata.remove(LiteLlmClient.MANAGED_BY);
    metadata.put("keyturn_secret_id", req.secretId());
    metadata.put("keyturn_generation", req.generation());
    metadata.put("keyturn_workflow_id", req.derivation().workflowId());
    metadata.put("keyturn_rotated_from", req.replaces().tokenHash());
    // Keyturn owns the key's identity (value, alias, metadata: the request's own fields) and its
    // lifetime, as Phase does: no expiry, no rotation by LiteLLM itself. Explicit nulls, so a
    // copied duration or rotation_interval is overridden rather than left out.
    policy.put("duration", null);
    policy.put("auto_rotate", false);
    policy.put("rotation_interval", null);
    GenerateKeyRequest body = new GenerateKeyRequest(policy, raw, req.alias(), metadata);

    Answer<GenerateKeyResponse> r = proxy.generate(req.gatewayUrl(), body);
    if (r.ok()) {
      String tokenId = r.body().tokenId();
      if (tokenId != null && !tokenId.equals(ref.tokenHash())) {
        throw ProxyError.nonRetryable(
            RotationFailures.GATEWAY_BAD_REQUEST,
            "LiteLLM "
                + req.gatewayUrl()
                + " stored the new key under another hash than sha256 of its"
                + " value; this proxy does not hash keys as LiteLLM does. Nothing was rotated.");
      }
      // A duplicate custom key is a silent 200 (the insert is an upsert with "update": {}, in
      // litellm/proxy/utils.py PrismaClient.insert_data): confirm the row is ours.
      return confirmOwn(req, ref, false);
    }
    ProxyError e = r.error();
    if (r.status() == 400 && e.mentions("already exists")) {
      // A retry of a mint whose first answer was lost: the alias is taken, perhaps by our own key.
      MintRequest earlier = mintedUnderAnotherWorkerKey(req);
      return earlier == null
          ? confirmOwn(req, ref, true)
          : confirmOwn(earlier, KeyMaterial.ref(secret.deriveKey(earlier.derivation())), true);
    }
    throw e.toFailure(req.gatewayUrl(), "minting " + req.alias());
  }

  /**
   * The request bound to an older worker key under which this derivation's key already exists, or
   * null: a first attempt may have minted before the worker's keyring rotated.
   */
  private MintRequest mintedUnderAnotherWorkerKey(MintRequest req) {
    for (var d : secret.bindings(req.derivation())) {
      if (!d.equals(req.derivation())
          && proxy.keyInfo(req.gatewayUrl(), KeyMaterial.tokenHash(secret.deriveKey(d))).ok()) {
        return req.withDerivation(d);
      }
    }
    return null;
  }

  /** Reads the derived key's row and checks it carries our alias; adopts it if so. */
  private MintedKey confirmOwn(MintRequest req, KeyRef ref, boolean afterAliasConflict) {
    Answer<KeyInfoResponse> info = proxy.keyInfo(req.gatewayUrl(), ref.tokenHash());
    if (gone(info)) {
      throw ProxyError.nonRetryable(
          RotationFailures.ALIAS_TAKEN,
          "the alias "
              + req.alias()
              + " already belongs to another key at LiteLLM "
              + req.gatewayUrl()
              + ", not to the key this rotation derives. Was this generation rotated before by"
              + " another Keyturn installation? Start the rotation with a new generation, or delete"
              + " the key with that alias if it is an orphan.");
    }
    if (!info.ok()) {
      throw info.error().toFailure(req.gatewayUrl(), "reading the new key " + ref.fingerprint());
    }
    KeyInfo row = info.body().info();
    String alias = row.keyAlias();
    if (!req.alias().equals(alias)) {
      throw ProxyError.nonRetryable(
          RotationFailures.ALIAS_TAKEN,
          "LiteLLM "
              + req.gatewayUrl()
              + " already holds the derived key "
              + ref.fingerprint()
              + " under alias "
              + alias
              + " instead of "
              + req.alias()
              + "; refusing to adopt a key minted for something else.");
    }
    String expires = row.expires();
    boolean adopted = afterAliasConflict;
    log.info(
        "{} {} as {}", adopted ? "adopted existing" : "minted", ref.fingerprint(), req.alias());
    return new MintedKey(ref, req.alias(), req.derivation(), expires, adopted);
  }

  @Override
  public void verifyKey(String gatewayUrl, MintedKey key, KeyPolicy policy) {
    String raw = secret.deriveKey(key.derivation());
    Answer<ModelsResponse> models = proxy.models(gatewayUrl, raw);
    if (refusesKey(models)) {
      throw keyRefused(
          RotationFailures.VERIFY_FAILED,
          gatewayUrl,
          "the new key " + key.ref().fingerprint(),
          models);
    }
    if (!models.ok()) {
      throw models
          .error()
          .toFailure(gatewayUrl, "verifying " + key.ref().fingerprint() + " on /v1/models");
    }
    Set<String> seen = models.body().ids();
    List<String> wanted = policy.models();
    if (!wanted.isEmpty() && wanted.stream().noneMatch(SPECIAL_MODELS::contains)) {
      Set<String> missing = new TreeSet<>(wanted);
      missing.removeAll(seen);
      Set<String> extra = new TreeSet<>(seen);
      extra.removeAll(wanted);
      if (!missing.isEmpty() || !extra.isEmpty()) {
        throw ProxyError.nonRetryable(
            RotationFailures.VERIFY_FAILED,
            "the new key "
                + key.ref().fingerprint()
                + " does not see the models its policy names: missing "
                + missing
                + ", unexpected "
                + extra
                + " (policy "
                + new TreeSet<>(wanted)
                + ")");
      }
    }

    Answer<KeyInfoResponse> info = proxy.keyInfo(gatewayUrl, key.ref().tokenHash());
    if (!info.ok()) {
      throw info.error().toFailure(gatewayUrl, "reading the new key " + key.ref().fingerprint());
    }
    KeyInfo row = info.body().info();
    if (row.deleted()) {
      throw ProxyError.nonRetryable(
          RotationFailures.VERIFY_FAILED,
          "the new key " + key.ref().fingerprint() + " was deleted at the proxy after minting");
    }
    if (row.blocked()) {
      throw ProxyError.nonRetryable(
          RotationFailures.VERIFY_FAILED,
          "the new key "
              + key.ref().fingerprint()
              + " is blocked (was the old key's policy blocked=true?)");
    }
    if (row.expires() != null) {
      Instant expires = parseInstant(row.expires());
      if (expires != null && !expires.isAfter(Instant.now())) {
        throw ProxyError.nonRetryable(
            RotationFailures.VERIFY_FAILED,
            "the new key " + key.ref().fingerprint() + " expired at " + expires);
      }
    }
    log.info(
        "verified {}: /v1/models answered {} model(s), not blocked",
        key.ref().fingerprint(),
        seen.size());
  }

  @Override
  public boolean deleteKey(String gatewayUrl, KeyRef key) {
    Answer<DeleteKeysResponse> r = proxy.delete(gatewayUrl, List.of(key.tokenHash()));
    if (r.ok()) {
      log.info("deleted {}", key.fingerprint());
      return true;
    }
    ProxyError e = r.error();
    if (r.status() == 404 && e.mentions("No keys found")) {
      log.info("{} was already gone", key.fingerprint());
      return false;
    }
    throw e.toFailure(gatewayUrl, "deleting " + key.fingerprint());
  }

  @Override
  public boolean discardDerivedKey(MintRequest req) {
    // The mint bound its derivation to the worker key current then; the keyring may have rotated
    // since, so every key still held is tried.
    boolean deleted = false;
    for (var d : secret.bindings(req.derivation())) {
      deleted |= discardOne(req.withDerivation(d));
    }
    return deleted;
  }

  private boolean discardOne(MintRequest req) {
    KeyRef ref = KeyMaterial.ref(secret.deriveKey(req.derivation()));
    Answer<KeyInfoResponse> info = proxy.keyInfo(req.gatewayUrl(), ref.tokenHash());
    if (gone(info)) {
      return false;
    }
    if (!info.ok()) {
      throw info.error()
          .toFailure(req.gatewayUrl(), "looking up the new key " + req.alias() + " to delete it");
    }
    KeyInfo row = info.body().info();
    String alias = row.keyAlias();
    Object owner = row.metadata().get("keyturn_workflow_id");
    if (!req.alias().equals(alias)
        && !req.derivation().workflowId().equals(owner == null ? null : owner.toString())) {
      throw ProxyError.nonRetryable(
          RotationFailures.ALIAS_TAKEN,
          "LiteLLM "
              + req.gatewayUrl()
              + " holds the derived key "
              + ref.fingerprint()
              + " under alias "
              + alias
              + ", not "
              + req.alias()
              + "; it is not this rotation's to delete. Check it by hand.");
    }
    return deleteKey(req.gatewayUrl(), ref);
  }

  @Override
  public RevokeReceipt confirmRevoked(
      String gatewayUrl, KeyRef oldKey, SealedSecret oldKeySealed, boolean deletedByThisRotation) {
    Answer<KeyInfoResponse> info = proxy.keyInfo(gatewayUrl, oldKey.tokenHash());
    String proof;
    if (info.status() == 404) {
      proof = "/key/info answers 404";
    } else if (info.ok() && info.body().info().deleted()) {
      String deletedAt = info.body().info().deletedAt();
      proof = "/key/info shows it deleted" + (deletedAt != null ? " at " + deletedAt : "");
    } else if (info.ok()) {
      throw ApplicationFailure.newFailure(
          "LiteLLM "
              + gatewayUrl
              + " still lists "
              + oldKey.fingerprint()
              + " as live after deleting it; retrying",
          RotationFailures.OLD_KEY_STILL_ACCEPTED);
    } else {
      throw info.error()
          .toFailure(gatewayUrl, "checking that " + oldKey.fingerprint() + " is gone");
    }
    if (oldKeySealed != null) {
      String raw;
      try {
        raw = secret.open(oldKeySealed);
      } catch (IllegalArgumentException e) {
        raw = null;
        proof += "; bearer check skipped: " + e.getMessage();
      }
      if (raw != null) {
        Answer<ModelsResponse> models = proxy.models(gatewayUrl, raw);
        if (models.ok()) {
          throw ApplicationFailure.newFailure(
              "LiteLLM "
                  + gatewayUrl
                  + " still accepts "
                  + oldKey.fingerprint()
                  + " as a bearer after deleting it (a proxy cache, up to ~60 s across pods); retrying",
              RotationFailures.OLD_KEY_STILL_ACCEPTED);
        }
        if (models.status() != 401) {
          throw models
              .error()
              .toFailure(gatewayUrl, "checking that " + oldKey.fingerprint() + " is refused");
        }
        proof += "; refused as bearer (401)";
      }
    }
    log.info(
        "revoked {} ({}{})",
        oldKey.fingerprint(),
        deletedByThisRotation ? "deleted by this rotation; " : "was already gone; ",
        proof);
    return new RevokeReceipt(oldKey, !deletedByThisRotation, proof);
  }

  @Override
  public boolean blockKey(String gatewayUrl, KeyRef key) {
    // Read first: a key already blocked is done (and says so), an unknown one is named as such
    // (LiteLLM 1.82 answers a block of an unknown key with a server error, not a 404).
    Answer<KeyInfoResponse> info = proxy.keyInfo(gatewayUrl, key.tokenHash());
    if (gone(info)) {
      throw leakedKeyNotFound(gatewayUrl, key);
    }
    if (!info.ok()) {
      throw info.error().toFailure(gatewayUrl, "reading the leaked key " + key.fingerprint());
    }
    if (info.body().info().blocked()) {
      log.warn("leaked key {} was already blocked", key.fingerprint());
      return false;
    }
    Answer<KeyInfo> r = proxy.block(gatewayUrl, key.tokenHash());
    if (r.status() == 404) {
      throw leakedKeyNotFound(gatewayUrl, key);
    }
    if (!r.ok()) {
      throw r.error().toFailure(gatewayUrl, "blocking the leaked key " + key.fingerprint());
    }
    if (!r.body().blocked()) {
      throw ApplicationFailure.newFailure(
          "LiteLLM "
              + gatewayUrl
              + " answered the block of "
              + key.fingerprint()
              + " with a row that is not blocked (retrying)",
          RotationFailures.TRANSIENT);
    }
    log.warn("blocked leaked key {}", key.fingerprint());
    return true;
  }

  private static ApplicationFailure leakedKeyNotFound(String gatewayUrl, KeyRef key) {
    return ProxyError.nonRetryable(
        RotationFailures.OLD_KEY_NOT_FOUND,
        "the leaked key "
            + key.fingerprint()
            + " does not exist at LiteLLM "
            + gatewayUrl
            + " (or was deleted): there is nothing to block. Check the secret and the gateway.");
  }

  @Override
  public void confirmUsable(String gatewayUrl, KeyRef key, SealedSecret sealed) {
    if (sealed == null) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the value of " + key.fingerprint() + " was never given to this rotation",
          RotationFailures.KEY_UNUSABLE);
    }
    String raw;
    try {
      raw = secret.open(sealed);
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "cannot open the sealed value of " + key.fingerprint() + ": " + e.getMessage(),
          RotationFailures.SEALING_KEY_MISMATCH);
    }
    if (!KeyMaterial.tokenHash(raw).equals(key.tokenHash())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the sealed value this rotation holds is not " + key.fingerprint(),
          RotationFailures.SEALING_KEY_MISMATCH);
    }
    Answer<KeyInfoResponse> info = proxy.keyInfo(gatewayUrl, key.tokenHash());
    if (gone(info)) {
      throw ProxyError.nonRetryable(
          RotationFailures.OLD_KEY_NOT_FOUND,
          "LiteLLM " + gatewayUrl + " no longer has " + key.fingerprint() + " (deleted)");
    }
    if (!info.ok()) {
      throw info.error().toFailure(gatewayUrl, "reading " + key.fingerprint());
    }
    KeyInfo row = info.body().info();
    if (row.blocked()) {
      throw ProxyError.nonRetryable(
          RotationFailures.KEY_UNUSABLE,
          "LiteLLM " + gatewayUrl + " has " + key.fingerprint() + " blocked");
    }
    Instant expires = row.expires() == null ? null : parseInstant(row.expires());
    if (expires != null && !expires.isAfter(Instant.now())) {
      throw ProxyError.nonRetryable(
          RotationFailures.KEY_UNUSABLE, key.fingerprint() + " expired at " + expires);
    }
    Answer<ModelsResponse> models = proxy.models(gatewayUrl, raw);
    if (refusesKey(models)) {
      throw keyRefused(RotationFailures.KEY_UNUSABLE, gatewayUrl, key.fingerprint(), models);
    }
    if (!models.ok()) {
      throw models
          .error()
          .toFailure(gatewayUrl, "checking " + key.fingerprint() + " on /v1/models");
    }
    log.info("{} still works: live at the proxy and accepted on /v1/models", key.fingerprint());
  }

  /** /key/info's answer for a key the proxy does not have (404) or has only as deleted. */
  private static boolean gone(Answer<KeyInfoResponse> info) {
    return info.status() == 404 || (info.ok() && info.body().info().deleted());
  }

  /** /v1/models refused the key itself (unknown, not allowed or expired), not the call. */
  private static boolean refusesKey(Answer<ModelsResponse> models) {
    return models.status() == 401 || models.status() == 403 || models.error().expiredKey();
  }

  private static ApplicationFailure keyRefused(
      String type, String gatewayUrl, String key, Answer<ModelsResponse> models) {
    return ProxyError.nonRetryable(
        type,
        "LiteLLM "
            + gatewayUrl
            + " refuses "
            + key
            + " on /v1/models ("
            + models.status()
            + ": "
            + models.error().message()
            + ")");
  }

  private static Instant parseInstant(String s) {
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      try {
        return Instant.parse(s);
      } catch (DateTimeParseException e2) {
        return null;
      }
    }
  }

  @Override
  public KeyUse keyUse(String gatewayUrl, KeyRef key, java.time.Duration window) {
    Answer<KeyInfoResponse> a = proxy.keyInfo(gatewayUrl, key.tokenHash());
    if (gone(a)) {
      return KeyUse.unknown(key);
    }
    if (!a.ok()) {
      throw a.error().toFailure(gatewayUrl, "reading when " + key.fingerprint() + " was last used");
    }
    String lastActive = a.body().info().lastActive();
    Instant at = lastActive == null ? null : parseInstant(lastActive);
    if (at == null) {
      return KeyUse.unknown(key);
    }
    long ago = Math.max(0, java.time.Duration.between(at, Instant.now()).toSeconds());
    boolean recent = ago < window.toSeconds();
    log.info(
        "{} was last used {} ({} s ago){}",
        key.fingerprint(),
        lastActive,
        ago,
        recent ? ": still in use" : "");
    return new KeyUse(key, at.toString(), ago, recent);
  }

  @Override
  public void verifyManagementKey(String gatewayUrl, MintedKey key) {
    String raw = secret.deriveKey(key.derivation());
    io.keyturn.gateway.litellm.GatewayCheck.Report r =
        new io.keyturn.gateway.litellm.GatewayCheck(proxy.withManagementKey(() -> raw))
            .run(gatewayUrl);
    if (!r.ok()) {
      throw ProxyError.nonRetryable(
          RotationFailures.VERIFY_FAILED,
          "the new management key "
              + key.ref().fingerprint()
              + " cannot do what a rotation needs at LiteLLM "
              + gatewayUrl
              + ": "
              + r.diagnosis()
              + (r.fix() == null ? "" : " " + r.fix()));
    }
    log.info(
        "new management key {} passed the gateway check ({})",
        key.ref().fingerprint(),
        r.identity());
  }

  @Override
  public KeyRef managementKeyInUse(String gatewayUrl) {
    String raw = proxy.managementKeyNow();
    if (raw == null || raw.isBlank()) {
      throw ProxyError.nonRetryable(
          RotationFailures.WORKER_MISCONFIGURED,
          "this worker has no LiteLLM management key (LITELLM_MASTER_KEY or"
              + " LITELLM_MASTER_KEY_FILE)");
    }
    KeyRef ref = KeyMaterial.ref(raw);
    Answer<KeyInfoResponse> self = proxy.withManagementKey(() -> raw).selfInfo(gatewayUrl);
    if (!self.ok()) {
      throw self.error()
          .toFailure(gatewayUrl, "calling with the management key " + ref.fingerprint());
    }
    log.info("this worker's management key is {}", ref.fingerprint());
    return ref;
  }
}
