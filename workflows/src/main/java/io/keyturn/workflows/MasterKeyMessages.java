package io.keyturn.workflows;

import io.keyturn.workflows.model.MasterKey;
import io.keyturn.workflows.model.MasterKeyRequest;
import java.util.List;

/** Every operator-facing sentence of a master-key rotation, built once here. */
final class MasterKeyMessages {
  private final MasterKeyRequest req;

  MasterKeyMessages(MasterKeyRequest req) {
    this.req = req;
  }

  private String primary() {
    return req.destinations().get(0).describe();
  }

  private String rotationOf() {
    return "master-key rotation of " + req.id();
  }

  /** The command that tells the rotation the proxy was restarted. */
  private String confirmRestart() {
    return "keyturn confirm-restart " + req.workflowId();
  }

  String preflight() {
    return "checking the current master key (from "
        + primary()
        + "), the proxy at "
        + req.gateway()
        + " and every destination; nothing changes yet";
  }

  String preflightFailed(String cause) {
    return rotationOf()
        + " stopped at preflight, NOTHING CHANGED (the proxy, its stored values and every"
        + " destination are as they were): "
        + cause;
  }

  String generating() {
    return "deriving the new master key inside the worker";
  }

  String reencrypting(MasterKey old, MasterKey next) {
    return "re-encrypting the proxy's stored models and credentials from "
        + old.fingerprint()
        + " to "
        + next.fingerprint()
        + " (/key/regenerate with new_master_key); the proxy keeps running with "
        + old.fingerprint();
  }

  String reencryptRefused(String cause) {
    return "the proxy refused to re-encrypt its stored values, so NOTHING CHANGED: the proxy runs"
        + " the old master key, its stored values are under it and every destination holds it. "
        + cause;
  }

  String reencryptUnknown(MasterKey old, MasterKey next, String cause) {
    return "the re-encryption call got no clear answer ("
        + cause
        + "): the proxy's stored values may be under the old key "
        + old.fingerprint()
        + " or the new key "
        + next.fingerprint()
        + ". The proxy still runs "
        + old.fingerprint()
        + " and every destination still holds it. Keyturn does not call it again (a second call"
        + " would encrypt ciphertexts). Check the proxy's log for 'Failed to re-encrypt' and"
        + " whether models still answer (keyturn status shows the fingerprints); restart one"
        + " replica with the new key only if it decrypts them.";
  }

  String publishing(MasterKey next) {
    return "publishing the new master key " + next.fingerprint() + " to every destination";
  }

  String publishFailedNothingChanged(String where, String cause, String restored) {
    return "publishing to "
        + where
        + " failed, so the rotation stopped; nothing was re-encrypted (salt key), the proxy runs the"
        + " old key and "
        + restored
        + " Cause: "
        + cause;
  }

  String publishFailedAfterReencrypt(
      MasterKey old, MasterKey next, List<String> holdNew, List<String> holdOld, String cause) {
    return "publishing the new master key failed ("
        + cause
        + ") AFTER the proxy's stored values were re-encrypted to "
        + next.fingerprint()
        + ". Now: the proxy process runs "
        + old.fingerprint()
        + " (and can no longer decrypt its stored models and credentials once it reloads them);"
        + " destinations holding the NEW key: "
        + (holdNew.isEmpty() ? "none" : String.join(", ", holdNew))
        + "; still holding the OLD key: "
        + String.join(", ", holdOld)
        + ". Fix the failing destination and put the new key there (copy it from "
        + (holdNew.isEmpty() ? "the worker: run the rotation again" : holdNew.get(0))
        + "), then restart every proxy replica with it.";
  }

  String restarting(String how, MasterKey key, String why) {
    return "restarting the proxy ("
        + how
        + ") so every replica runs "
        + key.fingerprint()
        + (why.isEmpty() ? "" : " (" + why + ")");
  }

  String awaitingRestart(MasterKey key, String deadline, String reason) {
    return (reason == null ? "" : reason + " ")
        + "RESTART EVERY PROXY REPLICA NOW so it reads "
        + key.fingerprint()
        + " from "
        + primary()
        + ", then run: "
        + confirmRestart()
        + " (due by "
        + deadline
        + "). Until then the proxy runs the previous key and stored models may not decrypt.";
  }

  String restartOverdue(MasterKey key, String deadline) {
    return "OVERDUE since "
        + deadline
        + ": the proxy must be restarted so it runs "
        + key.fingerprint()
        + " (every destination holds it). The rotation keeps waiting; after the restart run: "
        + confirmRestart();
  }

  String restartNotTaken(String how, MasterKey key, String cause) {
    return "the restart ("
        + how
        + ") did not make the proxy accept "
        + key.fingerprint()
        + " ("
        + cause
        + ").";
  }

  String verifying() {
    return "verifying: new key accepted, old refused, stored models and credentials as counted,"
        + " each model healthy, virtual keys authenticate";
  }

  String rollingBack(List<String> problems) {
    return "verify failed ("
        + String.join("; ", problems)
        + "): rolling back to the old master key (re-encrypt back, republish, restart)";
  }

  String rolledBack(MasterKey old, MasterKey next, List<String> problems, boolean salt) {
    return rotationOf()
        + " ROLLED BACK after verify failed ("
        + String.join("; ", problems)
        + "). Now: the proxy runs the old key "
        + old.fingerprint()
        + ", "
        + (salt
            ? "its stored values are under the salt key (untouched)"
            : "its stored values are back under it")
        + ", and every destination holds it again. The new key "
        + next.fingerprint()
        + " is in use nowhere.";
  }

  String rollbackReencryptFailed(MasterKey old, MasterKey next, String cause) {
    return "ROLLBACK STOPPED: re-encrypting back to the old key failed ("
        + cause
        + "). Now: the proxy runs the NEW key "
        + next.fingerprint()
        + ", every destination holds it, and the stored values are under it (or partly, if the"
        + " call got no answer). The old key "
        + old.fingerprint()
        + " is not accepted. Leave the proxy on the new key and investigate the failed checks.";
  }

  String done(MasterKey old, MasterKey next, int models, int credentials) {
    return "master key of "
        + req.id()
        + " rotated: "
        + old.fingerprint()
        + " -> "
        + next.fingerprint()
        + "; the proxy runs the new key, every destination holds it, the old key is refused; "
        + models
        + " stored model(s) and "
        + credentials
        + " credential(s) readable.";
  }

  String probeLeft(String probe, String cause) {
    return "the probe virtual key "
        + probe
        + " could not be deleted ("
        + cause
        + "); it expires within 2 hours by itself.";
  }
}
