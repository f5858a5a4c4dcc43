package io.keyturn.workflows;

import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.ProviderDeployment;
import io.keyturn.workflows.model.ProviderKey;
import io.keyturn.workflows.model.ProviderKeyPhase;
import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProviderKeyResult;
import io.keyturn.workflows.model.ProviderKeyStatus;
import io.keyturn.workflows.model.ProxySecretStore;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ActivityFailure;
import io.temporal.failure.ApplicationFailure;
import io.temporal.failure.CanceledFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;

/**
 * The provider-key rotation. History holds the new key only sealed to the worker, and fingerprints;
 * the old key is never read at all (it stays in the old deployment until that is deleted). Nothing
 * is removed before the new deployment answered through the proxy; a failure before the old
 * deployment is removed deletes what the rotation made and says so.
 */
public class ProviderKeyRotationWorkflowImpl implements ProviderKeyRotationWorkflow {
  private static final Logger log = Workflow.getLogger(ProviderKeyRotationWorkflowImpl.class);

  private static final String[] DO_NOT_RETRY =
      Stream.concat(
              RotationFailures.NON_RETRYABLE.stream(), ProviderKeyFailures.NON_RETRYABLE.stream())
          .toArray(String[]::new);

  private static RetryOptions retries(Duration cap) {
    return RetryOptions.newBuilder()
        .setInitialInterval(Duration.ofSeconds(1))
        .setBackoffCoefficient(2.0)
        .setMaximumInterval(cap)
        .setDoNotRetry(DO_NOT_RETRY)
        .build();
  }

  static final ActivityOptions STEP =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(60))
          .setScheduleToCloseTimeout(Duration.ofMinutes(10))
          .setRetryOptions(retries(Duration.ofSeconds(30)))
          .build();

  /** Cleanup and removal: it must happen, so it retries for a day. */
  static final ActivityOptions MUST_FINISH =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(60))
          .setScheduleToCloseTimeout(Duration.ofHours(24))
          .setRetryOptions(retries(Duration.ofMinutes(5)))
          .build();

  private final ProviderKeyActivities step =
      Workflow.newActivityStub(ProviderKeyActivities.class, STEP);
  private final ProviderKeyActivities mustFinish =
      Workflow.newActivityStub(ProviderKeyActivities.class, MUST_FINISH);

  private ProviderKeyRequest req;
  private ProviderKeyPhase phase = ProviderKeyPhase.PREFLIGHT;
  private String detail = "";
  private List<String> oldIds = List.of();
  private String newId;
  private ProviderKey next;
  private SealedSecret provided;
  private String providedBy;
  private boolean awaitingKey;
  private String keyDeadline;
  private boolean awaitingRevoke;
  private String revokedBy;
  private String rollbackBy;

  @Override
  public ProviderKeyResult rotate(ProviderKeyRequest request, List<String> masterKeyWorkflows) {
    this.req = request;
    Workflow.upsertTypedSearchAttributes(
        KeyturnSearchAttributes.SECRET_ID.valueSet(request.workflowId()),
        KeyturnSearchAttributes.GATEWAY.valueSet(request.gateway()));
    phase(
        ProviderKeyPhase.PREFLIGHT,
        "checking that "
            + request.gateway()
            + " serves model group '"
            + request.modelGroup()
            + "' and that provider '"
            + request.provider()
            + "' is usable");
    List<ProviderDeployment> old;
    try {
      old = step.preflight(request, masterKeyWorkflows == null ? List.of() : masterKeyWorkflows);
    } catch (ActivityFailure e) {
      throw fail(
          "preflight failed, nothing changed: " + RotationMessages.rootMessage(e), typeOf(e));
    }
    oldIds = old.stream().map(ProviderDeployment::id).toList();
    ProviderDeployment like = old.get(old.size() - 1);
    String nonce = Workflow.randomUUID().toString().replace("-", "").substring(0, 12);
    if (request.throughSecretStore()) {
      return new ThroughSecretStore().rotate(old, nonce);
    }

    next = obtainKey(nonce);

    verifyAtProvider(
        like.apiBase(),
        "Nothing changed at the proxy; the old deployment(s) " + oldIds + " still serve.");

    String id = "keyturn-" + request.modelGroup().replaceAll("[^A-Za-z0-9_.-]", "-") + "-" + nonce;
    phase(
        ProviderKeyPhase.ADDING_DEPLOYMENT,
        "adding deployment " + id + " of '" + request.modelGroup() + "' with the new key");
    try {
      newId = step.addDeployment(request, like, next, id);
    } catch (ActivityFailure e) {
      throw rollBack("adding the new deployment failed: " + RotationMessages.rootMessage(e), id);
    }

    phase(
        ProviderKeyPhase.VERIFYING_THROUGH_PROXY,
        "sending a request through the proxy routed to " + newId);
    try {
      step.verifyDeployment(request.gateway(), newId);
    } catch (ActivityFailure e) {
      throw rollBack(
          "a request routed to the new deployment "
              + newId
              + " failed: "
              + RotationMessages.rootMessage(e),
          newId);
    }

    if (!request.overlap().isZero()) {
      phase(
          ProviderKeyPhase.OVERLAP,
          "old "
              + oldIds
              + " and new "
              + newId
              + " both serve for "
              + request.overlap()
              + "; `keyturn rollback-provider "
              + request.workflowId()
              + "` until then puts the old one back alone");
      Workflow.await(request.overlap(), () -> rollbackBy != null);
    }
    if (rollbackBy != null) {
      throw rollBack("rollback asked by " + rollbackBy, newId);
    }

    phase(ProviderKeyPhase.REMOVING_OLD, "removing the old deployment(s) " + oldIds);
    List<String> removed = new ArrayList<>();
    for (String o : oldIds) {
      mustFinish.deleteDeployment(request.gateway(), o);
      removed.add(o);
    }

    if (!request.grace().isZero()) {
      Instant end = Instant.ofEpochMilli(Workflow.currentTimeMillis()).plus(request.grace());
      phase(
          ProviderKeyPhase.IN_GRACE,
          newId
              + " serves alone with "
              + next.fingerprint()
              + "; the old key is revoked at "
              + end);
      Workflow.sleep(request.grace());
    }

    List<String> oldKeyIds =
        old.stream().map(ProviderDeployment::providerKeyId).filter(k -> k != null).toList();
    String revoked;
    if (!request.manual() && oldKeyIds.size() == old.size()) {
      phase(ProviderKeyPhase.REVOKING_OLD, "revoking the old key(s) at the provider: " + oldKeyIds);
      for (String k : oldKeyIds) {
        mustFinish.revokeKey(request, k);
      }
      revoked = "the old key(s) " + oldKeyIds + " were revoked at the provider";
    } else {
      awaitingRevoke = true;
      phase(
          ProviderKeyPhase.AWAITING_REVOKE_CONFIRMATION,
          "revoke the old key at the provider (its console), then run `keyturn confirm-revoked "
              + request.workflowId()
              + "`. "
              + newId
              + " serves alone with "
              + next.fingerprint()
              + ".");
      Workflow.await(() -> revokedBy != null);
      awaitingRevoke = false;
      revoked = "the old key was revoked at the provider (confirmed by " + revokedBy + ")";
    }
    String summary =
        "model group '"
            + request.modelGroup()
            + "' now calls with "
            + next.fingerprint()
            + " through "
            + newId
            + "; removed "
            + removed
            + "; "
            + revoked
            + ".";
    phase(ProviderKeyPhase.DONE, summary);
    return new ProviderKeyResult(request.modelGroup(), newId, next.fingerprint(), removed, summary);
  }

  private ProviderKey obtainKey(String nonce) {
    if (!req.manual()) {
      phase(ProviderKeyPhase.CREATING_KEY, "creating a new key at " + req.provider());
      try {
        return step.createKey(req, req.keyName(nonce));
      } catch (ActivityFailure e) {
        throw fail(
            "creating the new key at "
                + req.provider()
                + " failed, nothing changed: "
                + RotationMessages.rootMessage(e),
            typeOf(e));
      }
    }
    Instant due = Instant.ofEpochMilli(Workflow.currentTimeMillis()).plus(req.keyDeadline());
    awaitingKey = true;
    keyDeadline = due.toString();
    phase(
        ProviderKeyPhase.AWAITING_KEY,
        "waiting for the new key of '"
            + req.modelGroup()
            + "': create it in the provider's console, then run `keyturn provide "
            + req.workflowId()
            + " --key-file F` (or --key-stdin) before "
            + due);
    while (true) {
      boolean got = Workflow.await(req.keyDeadline(), () -> provided != null);
      if (!got) {
        awaitingKey = false;
        throw fail(
            "no key was provided before "
                + due
                + "; nothing changed, the old deployment(s) "
                + oldIds
                + " still serve. Start again with `keyturn rotate-provider`.",
            ProviderKeyFailures.NO_KEY_IN_TIME);
      }
      SealedSecret s = provided;
      provided = null;
      try {
        ProviderKey k = step.describeProvided(req, s);
        awaitingKey = false;
        log.info("provider key {} provided by {}", k.fingerprint(), providedBy);
        return k;
      } catch (ActivityFailure e) {
        phase(
            ProviderKeyPhase.AWAITING_KEY,
            "the key provided by "
                + providedBy
                + " was refused ("
                + RotationMessages.rootMessage(e)
                + "); provide it again before "
                + due);
      }
    }
  }

  /**
   * The rotation when the proxy reads the key from secret stores ({@code api_key:
   * os.environ/NAME}): the deployments stay as they are; the new key is published where the proxy
   * reads it, the grace outlasts the proxy's secret cache, a health check through the proxy then
   * proves the deployments answer (with the new key, since the cache has turned over), and only
   * then is the old key revoked. Until then a failure or {@code keyturn rollback-provider} puts the
   * old values back (read from the stores at the start, sealed to the worker) and revokes the new
   * key once the proxy can no longer hold it.
   */
  private final class ThroughSecretStore {
    private final SecretStoreActivities stores =
        Workflow.newActivityStub(SecretStoreActivities.class, STEP);
    private final SecretStoreActivities storesMustFinish =
        Workflow.newActivityStub(SecretStoreActivities.class, MUST_FINISH);
    private final Compensations undo = new Compensations();
    private final List<String> locations = new ArrayList<>();
    private boolean published;

    ProviderKeyResult rotate(List<ProviderDeployment> old, String nonce) {
      ProxySecretStore where = req.secretStore();
      ProviderDeployment like = old.get(old.size() - 1);
      // The old key is found by the name Keyturn gave it (revokeOld), so a deployment that calls
      // with a Keyturn-made key of its own, rather than the store's, would lose its key.
      List<String> inline =
          old.stream()
              .filter(d -> d.providerKeyId() != null)
              .map(d -> d.id() + " (" + d.providerKeyId() + ")")
              .toList();
      if (!inline.isEmpty()) {
        throw fail(
            "preflight failed, nothing changed: deployment(s) "
                + inline
                + " of model group '"
                + req.modelGroup()
                + "' carry the key Keyturn put in them (model_info."
                + "keyturn_provider_key_id), not one read from a secret store, and revoking the"
                + " old key would break them. Rotate this group without secretStore:, or, if they"
                + " read os.environ/NAME now, remove keyturn_provider_key_id from their"
                + " model_info.",
            RotationFailures.DESTINATION_INVALID);
      }
      List<CurrentKey> held = new ArrayList<>();
      for (Destination d : where.destinations()) {
        phase(ProviderKeyPhase.PREFLIGHT, "reading the key the proxy reads from " + d.describe());
        CurrentKey c;
        try {
          stores.checkDestination(d);
          c = stores.readCurrentProviderKey(d);
        } catch (ActivityFailure e) {
          throw fail(
              "preflight failed, nothing changed: " + RotationMessages.rootMessage(e), typeOf(e));
        }
        if (c == null) {
          throw fail(
              "preflight failed, nothing changed: "
                  + d.describe()
                  + " holds no key, so the proxy cannot be reading model group '"
                  + req.modelGroup()
                  + "' from it. Put the key the proxy uses now there first, or fix the"
                  + " destination.",
              RotationFailures.DESTINATION_INVALID);
        }
        held.add(c);
      }

      next = obtainKey(nonce);
      verifyAtProvider(
          like.apiBase(), "Nothing was published; the store(s) still hold the old key.");

      // Registered first, so it runs last: the new key goes only when no proxy can hold it.
      undo.add(
          () -> {
            if (published) {
              phase(
                  ProviderKeyPhase.ROLLING_BACK,
                  "the old key is back in the store(s); waiting "
                      + Durations.format(where.proxyCache())
                      + " (the proxy's secret cache) before revoking the new key "
                      + next.fingerprint());
              Workflow.sleep(where.proxyCache());
            }
            return revokeNew("rolled back");
          },
          e ->
              "Revoking the new key "
                  + next.fingerprint()
                  + " failed ("
                  + RotationMessages.rootMessage(e)
                  + "): revoke it at the provider yourself.");
      String label = "pk-" + nonce;
      // Until the revoke, a cancelled rotation (temporal workflow cancel) rolls back as a failed
      // one does, rather than leaving the new key in the stores with both keys live.
      try {
        try {
          for (int i = 0; i < where.destinations().size(); i++) {
            Destination d = where.destinations().get(i);
            CurrentKey was = held.get(i);
            phase(
                ProviderKeyPhase.PUBLISHING,
                "publishing " + next.fingerprint() + " to " + d.describe());
            // Registered before the write: a write whose reply was lost may have landed.
            undo.add(
                () -> {
                  storesMustFinish.publishSealed(
                      d, was.ref(), was.sealed(), req.workflowId(), label + "-rollback");
                  return d.describe() + " holds the old key " + was.ref().fingerprint() + " again.";
                },
                e ->
                    "Putting the old key back in "
                        + d.describe()
                        + " failed ("
                        + RotationMessages.rootMessage(e)
                        + "): put "
                        + was.ref().fingerprint()
                        + " back there by hand.");
            published = true;
            stores.publishSealed(d, next.ref(), next.sealed(), req.workflowId(), label);
            locations.add(d.describe());
          }
        } catch (ActivityFailure e) {
          throw rollBack("publishing failed: " + RotationMessages.rootMessage(e));
        }

        Instant end = Instant.ofEpochMilli(Workflow.currentTimeMillis()).plus(req.grace());
        phase(
            ProviderKeyPhase.IN_GRACE,
            locations
                + " hold "
                + next.fingerprint()
                + "; the proxy reads it within its secret cache ("
                + Durations.format(where.proxyCache())
                + "), and the old key stays valid until "
                + end
                + ". `keyturn rollback-provider "
                + req.workflowId()
                + "` until then puts the old key back.");
        Workflow.await(req.grace(), () -> rollbackBy != null);
        if (rollbackBy != null) {
          throw rollBack("rollback asked by " + rollbackBy);
        }

        for (String id : oldIds) {
          phase(
              ProviderKeyPhase.VERIFYING_THROUGH_PROXY,
              "checking through the proxy that deployment "
                  + id
                  + " answers: its cache has turned over, so it calls with "
                  + next.fingerprint());
          try {
            step.verifyDeployment(req.gateway(), id);
          } catch (ActivityFailure e) {
            throw rollBack(
                "deployment "
                    + id
                    + " did not answer through the proxy after the grace, when it calls with the new"
                    + " key "
                    + next.fingerprint()
                    + " ("
                    + RotationMessages.rootMessage(e)
                    + "); the old key was not revoked");
          }
        }
        // A rollback accepted while the deployments were checked (the signal raced the grace's
        // end).
        if (rollbackBy != null) {
          throw rollBack("rollback asked by " + rollbackBy);
        }
      } catch (CanceledFailure e) {
        // Temporal closes a cancelled workflow as cancelled whatever it throws; the text is in
        // its details (provider-status) and in the failure.
        throw new CanceledFailure(
            rollBack("the rotation was cancelled before the old key was revoked")
                .getOriginalMessage());
      }

      String revoked = revokeOld();
      String summary =
          "model group '"
              + req.modelGroup()
              + "' now calls with "
              + next.fingerprint()
              + ", read by the proxy from "
              + locations
              + "; its deployments "
              + oldIds
              + " were left as they are; "
              + revoked
              + ".";
      phase(ProviderKeyPhase.DONE, summary);
      return new ProviderKeyResult(req.modelGroup(), null, next.fingerprint(), List.of(), summary);
    }

    /**
     * The old key: an automated provider names the keys Keyturn made for this group, so the ones
     * other than the new key are the old ones; a key made by hand (the first rotation, or {@code
     * manual}) is revoked by a person, who confirms.
     */
    private String revokeOld() {
      List<String> earlier = List.of();
      String why = "the old key was not made by Keyturn";
      if (!req.manual()) {
        try {
          earlier = step.earlierKeys(req, next.providerId());
        } catch (ActivityFailure e) {
          why = "the provider did not list its keys (" + RotationMessages.rootMessage(e) + ")";
        }
      }
      if (!earlier.isEmpty()) {
        phase(ProviderKeyPhase.REVOKING_OLD, "revoking the old key(s) at the provider: " + earlier);
        for (String k : earlier) {
          mustFinish.revokeKey(req, k);
        }
        return "the old key(s) " + earlier + " were revoked at the provider";
      }
      awaitingRevoke = true;
      phase(
          ProviderKeyPhase.AWAITING_REVOKE_CONFIRMATION,
          (req.manual() ? "" : why + ": ")
              + "revoke the old key at the provider (its console), then run `keyturn"
              + " confirm-revoked "
              + req.workflowId()
              + "`. The proxy calls with "
              + next.fingerprint()
              + " from "
              + locations
              + ".");
      Workflow.await(() -> revokedBy != null);
      awaitingRevoke = false;
      return "the old key was revoked at the provider (confirmed by " + revokedBy + ")";
    }

    private ApplicationFailure rollBack(String why) {
      phase(ProviderKeyPhase.ROLLING_BACK, why + "; putting the old key back in the store(s)");
      log.warn("provider-key rotation {} rolling back: {}", req.workflowId(), why);
      String done = undo.unwind();
      String text =
          "ROLLED BACK: "
              + why
              + ". "
              + done
              + " The proxy reads the old key again when its secret cache expires; the old key"
              + " was never revoked.";
      phase(ProviderKeyPhase.ROLLED_BACK, text);
      return ApplicationFailure.newNonRetryableFailure(text, ProviderKeyFailures.ROLLED_BACK);
    }
  }

  /**
   * Calls the provider with the new key (the provider's own check: list models, STS...); refused,
   * the new key is revoked where Keyturn made it and the rotation fails saying {@code unchanged}.
   */
  private void verifyAtProvider(String apiBase, String unchanged) {
    phase(
        ProviderKeyPhase.VERIFYING_AT_PROVIDER,
        "calling " + req.provider() + " with the new key " + next.fingerprint());
    try {
      step.verifyAtProvider(req, apiBase, next);
    } catch (ActivityFailure e) {
      String cleanup = revokeNew("the provider refused it");
      throw fail(
          "the provider did not accept the new key "
              + next.fingerprint()
              + ": "
              + RotationMessages.rootMessage(e)
              + ". "
              + unchanged
              + cleanup,
          ProviderKeyFailures.KEY_REJECTED);
    }
  }

  /** Deletes the new deployment (if any) and revokes the new key; the old ones keep serving. */
  private ApplicationFailure rollBack(String why, String deployment) {
    phase(ProviderKeyPhase.ROLLING_BACK, why + "; deleting " + deployment);
    log.warn("provider-key rotation {} rolling back: {}", req.workflowId(), why);
    String deleted = mustFinish.deleteDeployment(req.gateway(), deployment);
    String cleanup = revokeNew(why);
    String text =
        "ROLLED BACK: "
            + why
            + ". "
            + deleted
            + cleanup
            + " The old deployment(s) "
            + oldIds
            + " still serve with the old key.";
    phase(ProviderKeyPhase.ROLLED_BACK, text);
    return ApplicationFailure.newNonRetryableFailure(text, ProviderKeyFailures.ROLLED_BACK);
  }

  private String revokeNew(String why) {
    if (next == null) {
      return "";
    }
    if (next.providerId() != null && !req.manual()) {
      mustFinish.revokeKey(req, next.providerId());
      return " The new key " + next.fingerprint() + " was revoked at the provider.";
    }
    return " Revoke the new key "
        + next.fingerprint()
        + " at the provider yourself (it was handed in by hand).";
  }

  private static String typeOf(ActivityFailure e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof ApplicationFailure af && af.getType() != null) {
        return af.getType();
      }
    }
    return ProviderKeyFailures.PROXY_REFUSED;
  }

  private ApplicationFailure fail(String text, String type) {
    phase(ProviderKeyPhase.FAILED, text);
    log.error("provider-key rotation {} failed: {}", req.workflowId(), text);
    return ApplicationFailure.newNonRetryableFailure(text, type);
  }

  private void phase(ProviderKeyPhase p, String text) {
    if (p != phase || phase == ProviderKeyPhase.PREFLIGHT) {
      Workflow.upsertTypedSearchAttributes(KeyturnSearchAttributes.PHASE.valueSet(p.name()));
    }
    phase = p;
    detail = text;
    Workflow.setCurrentDetails(
        p.name()
            + ": "
            + text
            + "\n\nmodel group: "
            + req.modelGroup()
            + "\nold deployment(s): "
            + oldIds
            + "\nnew deployment: "
            + (newId == null ? "(none yet)" : newId)
            + "\nnew key: "
            + (next == null ? "(none yet)" : next.fingerprint()));
  }

  @Override
  public void provide(SealedSecret key, String by) {
    if (!awaitingKey) {
      log.warn("a key provided by {} was ignored: this rotation is not waiting for one", by);
      return;
    }
    provided = key;
    providedBy = by;
  }

  @Override
  public void confirmRevoked(String by) {
    if (awaitingRevoke) {
      revokedBy = by;
    }
  }

  @Override
  public void rollback(String by) {
    if (req != null && req.throughSecretStore() && phase == ProviderKeyPhase.IN_GRACE
        || phase == ProviderKeyPhase.OVERLAP
        || phase == ProviderKeyPhase.VERIFYING_THROUGH_PROXY
        || phase == ProviderKeyPhase.ADDING_DEPLOYMENT) {
      rollbackBy = by;
    }
  }

  @Override
  public ProviderKeyStatus status() {
    return new ProviderKeyStatus(
        phase,
        detail,
        req == null ? null : req.modelGroup(),
        oldIds,
        newId,
        next == null ? null : next.fingerprint(),
        awaitingKey,
        keyDeadline,
        awaitingRevoke);
  }
}
