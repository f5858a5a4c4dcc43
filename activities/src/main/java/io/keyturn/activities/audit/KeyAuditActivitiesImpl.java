package io.keyturn.activities.audit;

import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.litellm.Answer;
import io.keyturn.gateway.litellm.DeleteKeysResponse;
import io.keyturn.gateway.litellm.KeyInfo;
import io.keyturn.gateway.litellm.KeyInfoResponse;
import io.keyturn.gateway.litellm.KeyListResponse;
import io.keyturn.gateway.litellm.ListedKey;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.gateway.litellm.PolicyFields;
import io.keyturn.workflows.KeyAuditActivities;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.RotationMessages;
import io.keyturn.workflows.SecretStoreActivities;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.Orphan;
import io.keyturn.workflows.model.OrphanDeletion;
import io.keyturn.workflows.model.OrphanReport;
import io.keyturn.workflows.model.ProxyKey;
import io.keyturn.workflows.model.SecretDrift;
import io.keyturn.workflows.model.SecretTargets;
import io.temporal.failure.ApplicationFailure;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Orphans and drift, judged from three sources read together: the proxies ({@code /key/list},
 * {@code /key/info}), the stores (what each destination holds now) and Temporal (which rotations
 * run, what the last one published). See {@link KeyAuditActivities}.
 *
 * <p>A key is Keyturn's when its alias starts with {@code keyturn-} and its metadata carries the
 * {@code keyturn_secret_id}, {@code keyturn_generation} and {@code keyturn_workflow_id} that {@code
 * LiteLlmActivitiesImpl.mintKey} writes. When anything that could make a key in use cannot be read
 * (a destination, the running rotations), no key is called an orphan.
 */
public class KeyAuditActivitiesImpl implements KeyAuditActivities {
  private static final Logger log = LoggerFactory.getLogger(KeyAuditActivitiesImpl.class);

  /** Keys per {@code /key/list} page (LiteLLM's maximum). */
  static final int PAGE = 100;

  /** Pages read at most per gateway (100,000 keys). */
  static final int MAX_PAGES = 1000;

  /** What Temporal says about rotations. */
  public interface Rotations {
    /**
     * The rotations that run now: every one visibility lists, and (read directly, so one that
     * started a moment ago is not missed while visibility catches up) the rotation of each of
     * {@code secretIds} if it runs.
     */
    List<RunningRotation> running(List<String> secretIds);

    /** The key the newest completed rotation of {@code secretId} published; null for none. */
    KeyRef lastPublished(String secretId);
  }

  /** Where the findings go besides the answer: the worker's metrics. */
  public interface Listener {
    /** A sweep found {@code count} orphans. */
    void orphans(int count);

    /** A drift check of {@code secretId} ended in {@code state} ({@link SecretDrift#OK}...). */
    void drift(String secretId, String state);

    Listener NONE =
        new Listener() {
          @Override
          public void orphans(int count) {}

          @Override
          public void drift(String secretId, String state) {}
        };
  }

  private final LiteLlmClient proxy;
  private final SecretStoreActivities stores;
  private final Rotations rotations;
  private final Listener listener;
  private final Clock clock;

  public KeyAuditActivitiesImpl(
      LiteLlmClient proxy,
      SecretStoreActivities stores,
      Rotations rotations,
      Listener listener,
      Clock clock) {
    this.proxy = proxy;
    this.stores = stores;
    this.rotations = rotations;
    this.listener = listener;
    this.clock = clock;
  }

  /** What was read once, against which each key is judged. */
  private record Facts(
      Map<String, SecretTargets> secrets,
      Map<String, String> heldAt,
      Map<String, List<String>> holdings,
      List<String> unreadable,
      List<RunningRotation> running) {}

  private Facts facts(List<SecretTargets> secrets) {
    Map<String, SecretTargets> byId = new LinkedHashMap<>();
    secrets.forEach(s -> byId.put(s.secretId(), s));
    Map<String, String> heldAt = new LinkedHashMap<>();
    Map<String, List<String>> holdings = new LinkedHashMap<>();
    List<String> unreadable = new ArrayList<>();
    for (SecretTargets s : secrets) {
      List<String> said = new ArrayList<>();
      for (Destination d : s.destinations()) {
        try {
          CurrentKey held = stores.readCurrentKey(d);
          if (held == null) {
            said.add(d.describe() + " holds no key");
          } else {
            heldAt.putIfAbsent(held.ref().tokenHash(), d.describe());
            said.add(d.describe() + " holds " + held.ref().fingerprint());
          }
        } catch (RuntimeException e) {
          unreadable.add(d.describe() + " (" + s.secretId() + "): " + message(e));
        }
      }
      holdings.put(s.secretId(), said);
    }
    return new Facts(
        byId, heldAt, holdings, unreadable, rotations.running(List.copyOf(byId.keySet())));
  }

  /** Null when {@code k} is an orphan; else why it is kept. */
  private static String keptBecause(ProxyKey k, Facts f) {
    SecretTargets s = f.secrets().get(k.secretId());
    if (s == null) {
      return "its secret "
          + k.secretId()
          + " is not in the file, so where it is published is not known";
    }
    if (!sameGateway(s.gatewayUrl(), k.gatewayUrl())) {
      return "its secret " + k.secretId() + " rotates at " + s.gatewayUrl();
    }
    String at = f.heldAt().get(k.ref().tokenHash());
    if (at != null) {
      return at + " holds it";
    }
    if (!f.unreadable().isEmpty()) {
      return "a destination could not be read: " + String.join("; ", f.unreadable());
    }
    for (RunningRotation r : f.running()) {
      if (r.owns(k)) {
        return "the running rotation " + r.describe() + " owns it";
      }
    }
    return null;
  }

  private static Orphan orphan(ProxyKey k, Facts f) {
    List<String> evidence = new ArrayList<>();
    evidence.add(
        "minted by "
            + (k.workflowId() == null ? "an unknown rotation" : k.workflowId())
            + " for "
            + k.secretId()
            + " generation "
            + k.generation()
            + (k.createdAt() == null ? "" : ", created " + k.createdAt()));
    evidence.add(
        "no destination holds it: "
            + String.join(", ", f.holdings().getOrDefault(k.secretId(), List.of()))
            + (f.secrets().size() > 1
                ? " (nor any destination of the other "
                    + (f.secrets().size() - 1)
                    + " secret(s) in the file)"
                : ""));
    List<String> ofSecret =
        f.running().stream()
            .filter(r -> k.secretId().equals(r.secretId()))
            .map(RunningRotation::describe)
            .toList();
    evidence.add(
        "no running rotation owns it: "
            + (ofSecret.isEmpty()
                ? "no rotation of " + k.secretId() + " runs"
                : String.join(", ", ofSecret) + " runs, for another key"));
    return new Orphan(k, evidence);
  }

  @Override
  public OrphanReport findOrphans(List<SecretTargets> secrets) {
    Facts f = facts(secrets);
    List<Orphan> orphans = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    if (!f.unreadable().isEmpty()) {
      notes.add(
          "no key is called an orphan while a destination cannot be read: "
              + String.join("; ", f.unreadable()));
    }
    Map<String, Integer> unknownSecrets = new LinkedHashMap<>();
    int keyturnKeys = 0;
    for (String gateway : gateways(secrets)) {
      for (ProxyKey k : keyturnKeys(gateway)) {
        keyturnKeys++;
        String kept = keptBecause(k, f);
        if (kept == null) {
          orphans.add(orphan(k, f));
        } else if (!f.secrets().containsKey(k.secretId())) {
          unknownSecrets.merge(k.secretId(), 1, Integer::sum);
        }
      }
    }
    unknownSecrets.forEach(
        (id, n) ->
            notes.add(
                n
                    + " key(s) of secret "
                    + id
                    + " were not judged: it is not in the file, so where it is published is not"
                    + " known"));
    listener.orphans(orphans.size());
    log.info(
        "orphan sweep: {} key(s) Keyturn minted at {} gateway(s), {} orphan(s)",
        keyturnKeys,
        gateways(secrets).size(),
        orphans.size());
    return new OrphanReport(orphans, keyturnKeys, notes);
  }

  @Override
  public OrphanDeletion deleteOrphan(List<SecretTargets> secrets, Orphan orphan) {
    ProxyKey k = orphan.key();
    String gateway = k.gatewayUrl();
    // Again, right before deleting: the key as the proxy has it now, and everything that uses keys.
    Answer<KeyInfoResponse> info = proxy.keyInfo(gateway, k.ref().tokenHash());
    if (info.status() == 404 || (info.ok() && info.body().info().deleted())) {
      return new OrphanDeletion(k.ref(), k.alias(), false, "already gone");
    }
    if (!info.ok()) {
      throw info.error().toFailure(gateway, "reading " + k.ref().fingerprint() + " to delete it");
    }
    ProxyKey now = proxyKey(asListed(k.ref().tokenHash(), info.body().info()), gateway);
    if (now == null || !now.secretId().equals(k.secretId())) {
      return new OrphanDeletion(
          k.ref(),
          k.alias(),
          false,
          "kept: its alias or metadata changed since it was listed; list the orphans again");
    }
    String kept = keptBecause(now, facts(secrets));
    if (kept != null) {
      log.info("kept {} ({}): {}", k.ref().fingerprint(), k.alias(), kept);
      return new OrphanDeletion(k.ref(), k.alias(), false, "kept: " + kept);
    }
    Answer<DeleteKeysResponse> r = proxy.delete(gateway, List.of(k.ref().tokenHash()));
    if (r.ok()) {
      log.info("deleted orphan {} ({})", k.ref().fingerprint(), k.alias());
      return new OrphanDeletion(k.ref(), k.alias(), true, "deleted");
    }
    if (r.status() == 404 && r.error().mentions("No keys found")) {
      return new OrphanDeletion(k.ref(), k.alias(), false, "already gone");
    }
    throw r.error().toFailure(gateway, "deleting " + k.ref().fingerprint());
  }

  @Override
  public SecretDrift checkDrift(SecretTargets s) {
    SecretDrift d;
    try {
      d = drift(s);
    } catch (RuntimeException e) {
      d = drift(s, SecretDrift.UNKNOWN, null, List.of("not checked: " + message(e)));
    }
    listener.drift(s.secretId(), d.state());
    log.info("drift check of {}: {} {}", s.secretId(), d.state(), d.findings());
    return d;
  }

  private SecretDrift drift(SecretTargets s) {
    for (RunningRotation r : rotations.running(List.of(s.secretId()))) {
      if (s.secretId().equals(r.secretId())) {
        return drift(
            s,
            SecretDrift.UNKNOWN,
            null,
            List.of(
                "not checked: "
                    + r.workflowId()
                    + " runs, and destinations change while it does; check again after it ends"));
      }
    }
    if (s.destinations().isEmpty()) {
      return drift(s, SecretDrift.UNKNOWN, null, List.of("not checked: no destinations"));
    }
    List<String> findings = new ArrayList<>();
    Destination primary = s.destinations().get(0);
    CurrentKey held = read(primary, findings);
    KeyRef current = held == null ? null : held.ref();
    if (held == NOT_A_KEY) {
      current = null;
    } else if (current == null) {
      findings.add(primary.describe() + " (the primary) holds no key");
    }
    for (Destination d : s.destinations().subList(1, s.destinations().size())) {
      CurrentKey other = read(d, findings);
      if (other == NOT_A_KEY) {
        continue;
      }
      if (other == null) {
        findings.add(d.describe() + " holds no key");
      } else if (current != null && !other.ref().tokenHash().equals(current.tokenHash())) {
        findings.add(
            d.describe()
                + " holds "
                + other.ref().fingerprint()
                + ", the primary holds "
                + current.fingerprint());
      }
    }
    KeyRef published = rotations.lastPublished(s.secretId());
    if (current != null
        && published != null
        && !published.tokenHash().equals(current.tokenHash())) {
      findings.add(
          primary.describe()
              + " holds "
              + current.fingerprint()
              + ", but the last completed rotation published "
              + published.fingerprint()
              + " (changed by hand?)");
    }
    if (current != null) {
      Answer<KeyInfoResponse> info = proxy.keyInfo(s.gatewayUrl(), current.tokenHash());
      if (info.status() == 404 || (info.ok() && info.body().info().deleted())) {
        findings.add(
            "LiteLLM "
                + s.gatewayUrl()
                + " has no live key "
                + current.fingerprint()
                + " (the key "
                + primary.describe()
                + " holds)");
      } else if (!info.ok()) {
        return drift(
            s,
            SecretDrift.UNKNOWN,
            current,
            List.of(
                "not checked: /key/info of "
                    + current.fingerprint()
                    + " answered "
                    + info.status()
                    + " ("
                    + info.error().message()
                    + ")"));
      } else {
        if (info.body().info().blocked()) {
          findings.add("LiteLLM " + s.gatewayUrl() + " has " + current.fingerprint() + " blocked");
        }
        if (s.policy() != null && !s.policy().fields().isEmpty()) {
          var row = HttpBodies.tree(info.reply().body()).path("info");
          for (String diff : PolicyFields.differences(row, s.policy().fields())) {
            findings.add("policy of " + current.fingerprint() + ": " + diff);
          }
        }
      }
    }
    return drift(s, findings.isEmpty() ? SecretDrift.OK : SecretDrift.DRIFT, current, findings);
  }

  /** What {@link #read} answers for a destination that holds something that is not a key. */
  private static final CurrentKey NOT_A_KEY = new CurrentKey(null, null, null);

  /**
   * What {@code d} holds; {@link #NOT_A_KEY} (with a finding) when it holds something that is not a
   * key, which is drift too. Any other failure goes to the caller: the secret was not checked.
   */
  private CurrentKey read(Destination d, List<String> findings) {
    try {
      return stores.readCurrentKey(d);
    } catch (ApplicationFailure e) {
      if (!RotationFailures.DESTINATION_INVALID.equals(e.getType())) {
        throw e;
      }
      findings.add(e.getOriginalMessage());
      return NOT_A_KEY;
    }
  }

  private SecretDrift drift(SecretTargets s, String state, KeyRef current, List<String> findings) {
    return new SecretDrift(
        s.secretId(),
        state,
        current == null ? null : current.fingerprint(),
        findings,
        clock.instant().toString());
  }

  private static Set<String> gateways(List<SecretTargets> secrets) {
    Set<String> out = new LinkedHashSet<>();
    secrets.forEach(s -> out.add(strip(s.gatewayUrl())));
    return out;
  }

  private static boolean sameGateway(String a, String b) {
    return strip(a).equals(strip(b));
  }

  private static String strip(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** Every key Keyturn minted at {@code gateway}, oldest first. */
  List<ProxyKey> keyturnKeys(String gateway) {
    List<ProxyKey> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (int page = 1; page <= MAX_PAGES; page++) {
      Answer<KeyListResponse> r = proxy.listKeys(gateway, page, PAGE);
      if (!r.ok()) {
        throw r.error().toFailure(gateway, "listing keys (/key/list)");
      }
      for (ListedKey row : r.body().keys()) {
        ProxyKey k = proxyKey(row, gateway);
        if (k != null && seen.add(k.ref().tokenHash())) {
          out.add(k);
        }
      }
      if (page >= r.body().totalPages() || r.body().keys().isEmpty()) {
        break;
      }
    }
    return out;
  }

  /** The key {@code row} describes when Keyturn minted it; else null. */
  static ProxyKey proxyKey(ListedKey row, String gateway) {
    if (row.token() == null
        || row.keyAlias() == null
        || !row.keyAlias().startsWith(ProxyKey.ALIAS_PREFIX)
        || !(row.metadata().get("keyturn_secret_id") instanceof String secretId)) {
      return null;
    }
    KeyRef ref;
    try {
      ref = new KeyRef(row.token(), row.keyName());
    } catch (IllegalArgumentException e) {
      return null;
    }
    Object wf = row.metadata().get("keyturn_workflow_id");
    return new ProxyKey(
        ref,
        row.keyAlias(),
        row.createdAt(),
        secretId,
        generation(row.metadata().get("keyturn_generation")),
        wf == null ? null : wf.toString(),
        strip(gateway));
  }

  private static ListedKey asListed(String tokenHash, KeyInfo info) {
    return new ListedKey(
        tokenHash, info.keyAlias(), info.keyName(), null, info.blocked(), info.metadata());
  }

  private static long generation(Object v) {
    if (v instanceof Number n) {
      return n.longValue();
    }
    try {
      return v == null ? 0 : Long.parseLong(v.toString());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String message(RuntimeException e) {
    if (e instanceof ApplicationFailure a) {
      return a.getOriginalMessage();
    }
    return RotationMessages.rootMessage(e) == null ? e.toString() : RotationMessages.rootMessage(e);
  }
}
