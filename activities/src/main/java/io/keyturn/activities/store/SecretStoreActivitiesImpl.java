package io.keyturn.activities.store;

import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.SecretStoreActivities;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.keyturn.workflows.model.CurrentKey;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.SealedSecret;
import io.temporal.failure.ApplicationFailure;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store activities: each {@link Destination} becomes a {@link SecretStore} through the
 * registry, so adding a store never touches this class. The new key's value is re-derived here from
 * its derivation; a current value read for chaining is sealed at once. Neither is ever logged or
 * returned in the clear.
 */
public final class SecretStoreActivitiesImpl implements SecretStoreActivities {
  private static final Logger log = LoggerFactory.getLogger(SecretStoreActivitiesImpl.class);

  private final SecretStoreRegistry registry;
  private final WorkerKeyring secret;

  public SecretStoreActivitiesImpl(SecretStoreRegistry registry, WorkerKeyring secret) {
    this.registry = registry;
    this.secret = secret;
  }

  private SecretStore store(Destination d) {
    try {
      return registry.create(d.type(), d.settings());
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "destination " + d.describe() + ": " + e.getMessage(),
          RotationFailures.DESTINATION_INVALID);
    }
  }

  /** Builds the store (settings check) and reads it (address, credentials, permissions). */
  @Override
  public void checkDestination(Destination d) {
    SecretStore s = store(d);
    try {
      s.checkUsable();
    } catch (ApplicationFailure f) {
      if (f.isNonRetryable() || RotationFailures.NON_RETRYABLE.contains(f.getType())) {
        throw ApplicationFailure.newNonRetryableFailure(
            "destination " + d.describe() + " cannot be used: " + f.getOriginalMessage(),
            RotationFailures.DESTINATION_INVALID);
      }
      throw f;
    } finally {
      close(s);
    }
    log.info("destination {} is usable", d.describe());
  }

  @Override
  public CurrentKey readCurrentKey(Destination d) {
    return onStore(
        d,
        s -> {
          Optional<String> value = s.currentValue();
          if (value.isEmpty()) {
            return null;
          }
          String raw = value.get();
          if (!KeyMaterial.looksLikeKey(raw)) {
            throw ApplicationFailure.newNonRetryableFailure(
                s.location()
                    + " holds something that is not a LiteLLM virtual key (sk-...): check the"
                    + " destination's field, or publish the key applications use there first",
                RotationFailures.DESTINATION_INVALID);
          }
          return new CurrentKey(KeyMaterial.ref(raw), secret.seal(raw), s.location());
        });
  }

  /**
   * Any one-line value: provider keys have many shapes, and the virtual-key read's {@code sk-}
   * check would refuse most of them. Stripped first, so the reference matches what {@link
   * #writeSealed} writes back in a rollback (it strips what it opens).
   */
  @Override
  public CurrentKey readCurrentProviderKey(Destination d) {
    return onStore(
        d,
        s -> {
          String raw = s.currentValue().map(String::strip).orElse("");
          if (raw.isEmpty()) {
            return null;
          }
          if (raw.indexOf('\n') >= 0 || raw.indexOf('\r') >= 0) {
            throw ApplicationFailure.newNonRetryableFailure(
                s.location()
                    + " holds a value of "
                    + raw.lines().count()
                    + " lines, not one provider key (the proxy reads the whole value as api_key):"
                    + " check the destination's field, or put the key the proxy uses there alone",
                RotationFailures.DESTINATION_INVALID);
          }
          return new CurrentKey(KeyMaterial.ref(raw), secret.seal(raw), s.location());
        });
  }

  @Override
  public PublishReceipt publishTo(Destination d, MintedKey key) {
    return onStore(
        d,
        s -> {
          String raw = secret.deriveKey(key.derivation());
          String generation = key.alias().replaceFirst(".*-g", "g");
          StoreReceipt r =
              s.write(raw, new RotationContext(key.derivation().workflowId(), generation));
          String back = s.currentFingerprint().orElse("");
          if (!back.equals(key.ref().tokenHash())) {
            throw ApplicationFailure.newNonRetryableFailure(
                "read-back of "
                    + s.location()
                    + " does not hold "
                    + key.ref().fingerprint()
                    + " after writing it: another writer or replication lag",
                RotationFailures.PUBLISH_MISMATCH);
          }
          log.info(
              "{} {} to {} (version {})",
              r.written() ? "published" : "already published",
              key.ref().fingerprint(),
              s.location(),
              r.version());
          return new PublishReceipt(
              s.location(), numeric(r.version()), numeric(r.previousVersion()), r.written());
        });
  }

  @Override
  public String restoreAt(Destination d, MintedKey key) {
    return onStore(
        d,
        s -> {
          String where = s.location();
          Optional<String> now = s.currentFingerprint();
          if (now.isEmpty() || !now.get().equals(key.ref().tokenHash())) {
            return where + " does not hold the new key: nothing to undo.";
          }
          if (!s.supportsRestore()) {
            return where
                + " HOLDS THE NEW KEY "
                + key.ref().fingerprint()
                + ", which is being deleted, and cannot restore the previous value: put the old key back"
                + " there by hand.";
          }
          StoreReceipt r = s.restorePrevious(key.ref().tokenHash());
          return where
              + (r.fingerprint().isEmpty()
                  ? ": the new key removed (it held nothing before)."
                  : ": the previous value put back (version " + r.version() + ").");
        });
  }

  /**
   * Writes the opened old key with {@link SecretStore#write}, the one write every store has, under
   * its own context ({@code g<generation>-rollback}): stores that derive idempotency tokens from
   * the context (AWS's ClientRequestToken) then make a new version rather than reuse the publish's.
   */
  @Override
  public PublishReceipt putBackOldKey(
      Destination d, KeyRef key, SealedSecret sealed, String workflowId, long generation) {
    return writeSealed(
        d, key, sealed, new RotationContext(workflowId, "g" + generation + "-rollback"), "back in");
  }

  @Override
  public PublishReceipt publishSealed(
      Destination d, KeyRef key, SealedSecret sealed, String workflowId, String label) {
    return writeSealed(d, key, sealed, new RotationContext(workflowId, label), "to");
  }

  /**
   * Opens {@code sealed} here, checks it is {@code key}, writes it with {@link SecretStore#write},
   * reads it back and compares: the one path for every value that arrives sealed.
   */
  private PublishReceipt writeSealed(
      Destination d, KeyRef key, SealedSecret sealed, RotationContext context, String where) {
    String raw;
    try {
      // A key handed in from a file may end in a newline; its reference was taken without it.
      raw = sealed == null ? null : secret.open(sealed).strip();
    } catch (IllegalArgumentException e) {
      throw ApplicationFailure.newNonRetryableFailure(
          "cannot open the sealed value of " + key.fingerprint() + ": " + e.getMessage(),
          RotationFailures.SEALING_KEY_MISMATCH);
    }
    if (raw == null || !KeyMaterial.tokenHash(raw).equals(key.tokenHash())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the sealed value given is not "
              + key.fingerprint()
              + ": nothing written to "
              + d.describe(),
          RotationFailures.SEALING_KEY_MISMATCH);
    }
    return onStore(
        d,
        s -> {
          StoreReceipt r = s.write(raw, context);
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
              "{} {} {} {} (version {})",
              r.written() ? "wrote" : "already had",
              key.fingerprint(),
              where,
              s.location(),
              r.version());
          return new PublishReceipt(
              s.location(), numeric(r.version()), numeric(r.previousVersion()), r.written());
        });
  }

  private static long numeric(String version) {
    try {
      return version.isEmpty() ? 0 : Long.parseLong(version);
    } catch (NumberFormatException e) {
      return -1; // AWS version ids and file fingerprints are not numbers
    }
  }

  /** Builds the store {@code d} names, uses it, and closes it. */
  private <T> T onStore(Destination d, Function<SecretStore, T> use) {
    SecretStore s = store(d);
    try {
      return use.apply(s);
    } finally {
      close(s);
    }
  }

  private static void close(SecretStore s) {
    if (s instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        log.debug("closing {} failed: {}", s.location(), e.toString());
      }
    }
  }
}
