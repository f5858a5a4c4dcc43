package io.keyturn.starter.output;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.EmergencyReport;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.PublishReceipt;
import io.keyturn.workflows.model.RevokeReceipt;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.model.RotationStatus;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Renders rotations as text for people and as JSON objects for scripts. Fingerprints only. */
public final class Report {
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** For reading back JSON the CLI wrote (a schedule's spec memo). */
  public static final ObjectMapper JSON_READER = new ObjectMapper();

  private Report() {}

  public static void printJson(PrintWriter out, Map<String, Object> object) {
    try {
      out.println(JSON.writeValueAsString(object));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write JSON output", e);
    }
  }

  /** The JSON object of a rotation as Temporal and the workflow see it. */
  public static Map<String, Object> json(RotationView v, String ui) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("workflowId", v.workflowId());
    o.put("runId", v.runId());
    o.put("workflowStatus", v.workflowStatus());
    o.put("startTime", v.startTime() == null ? null : v.startTime().toString());
    o.put("closeTime", v.closeTime() == null ? null : v.closeTime().toString());
    o.put("status", v.status() == null ? null : statusJson(v.status()));
    if (v.statusError() != null) {
      o.put("statusError", v.statusError());
    }
    if (v.result() != null) {
      o.put("result", resultJson(v.result()));
    }
    if (v.failure() != null) {
      o.put("failure", v.failure());
    }
    if (v.retrying() != null) {
      o.put("retrying", v.retrying());
    }
    o.put("ui", ui);
    return o;
  }

  static Map<String, Object> statusJson(RotationStatus s) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("phase", s.phase() == null ? null : s.phase().name());
    o.put("secretId", s.secretId());
    o.put("generation", s.generation());
    o.put("oldKey", s.oldKey());
    o.put("newKey", s.newKey());
    o.put("newKeyAlias", s.newKeyAlias());
    o.put("publishedTo", s.publishedTo());
    o.put("graceEndsAt", s.graceEndsAt());
    o.put("revokeNowRequested", s.revokeNowRequested());
    o.put("message", s.message());
    return o;
  }

  static Map<String, Object> resultJson(RotationResult r) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("secretId", r.secretId());
    o.put("generation", r.generation());
    o.put("oldKey", fingerprint(r.oldKey()));
    o.put("oldKeyHash", r.oldKey() == null ? null : r.oldKey().tokenHash());
    o.put("newKey", fingerprint(r.newKey()));
    o.put("newKeyHash", r.newKey() == null ? null : r.newKey().tokenHash());
    o.put("newKeyAlias", r.newKeyAlias());
    PublishReceipt p = receipts(r).isEmpty() ? null : receipts(r).get(0);
    o.put("publishedTo", p == null ? null : p.location());
    o.put("publishedVersion", p == null || p.version() < 0 ? null : p.version());
    o.put("previousVersion", p == null || p.previousVersion() < 0 ? null : p.previousVersion());
    o.put(
        "destinations",
        receipts(r).stream()
            .map(
                x -> {
                  Map<String, Object> d = new LinkedHashMap<>();
                  d.put("location", x.location());
                  d.put("version", x.version() < 0 ? null : x.version());
                  d.put("written", x.written());
                  return d;
                })
            .toList());
    RevokeReceipt rv = r.revoked();
    o.put("oldKeyAlreadyGone", rv == null ? null : rv.alreadyGone());
    o.put("proofOfRejection", rv == null ? null : rv.proofOfRejection());
    o.put("revokedEarly", r.revokedEarly());
    if (r.emergency() != null) {
      o.put("emergency", emergencyJson(r.emergency()));
    }
    return o;
  }

  static Map<String, Object> emergencyJson(EmergencyReport e) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("requestedBy", e.requestedBy());
    o.put("leakedKey", fingerprint(e.leakedKey()));
    o.put("alreadyBlocked", e.alreadyBlocked());
    o.put("blockedAt", Instant.ofEpochMilli(e.blockedAtMillis()).toString());
    o.put("publishedEverywhereAt", Instant.ofEpochMilli(e.publishedAtMillis()).toString());
    o.put("windowMillis", e.windowMillis());
    return o;
  }

  /** The text view of {@code keyturn status}. */
  public static void printStatus(PrintWriter out, RotationView v, String ui, Clock clock) {
    out.println(v.workflowId() + "  " + v.workflowStatus());
    row(out, "run id", v.runId());
    RotationStatus s = v.status();
    if (s == null) {
      row(out, "status", "unknown: " + v.statusError());
    } else {
      row(out, "phase", s.phase() == null ? null : s.phase().name());
      row(out, "secret", s.secretId() + " (generation " + s.generation() + ")");
      row(out, "old key", s.oldKey());
      row(
          out,
          "new key",
          (s.newKey() == null ? "not minted yet" : s.newKey()) + "  alias " + s.newKeyAlias());
      row(out, "published", s.publishedTo() == null ? "not yet" : s.publishedTo());
      if (s.graceEndsAt() != null) {
        row(out, "grace ends", s.graceEndsAt() + until(s.graceEndsAt(), clock));
      }
      if (s.revokeNowRequested()) {
        row(out, "revoke now", "requested");
      }
      row(out, "message", s.message());
    }
    row(out, "started", v.startTime() == null ? null : v.startTime().toString());
    if (v.closeTime() != null) {
      row(out, "closed", v.closeTime().toString());
    }
    if (v.result() != null) {
      printResultRows(out, v.result());
    }
    if (v.failure() != null && (s == null || !v.failure().equals(s.message()))) {
      row(out, "failure", v.failure());
    }
    if (v.retrying() != null) {
      row(out, "retrying", v.retrying());
    }
    row(out, "ui", ui);
  }

  /** The text view of a closed rotation, after waiting for it. */
  public static void printOutcome(PrintWriter out, RotationView v, String ui) {
    RotationStatus s = v.status();
    String phase = s == null || s.phase() == null ? "" : " (phase " + s.phase().name() + ")";
    out.println(v.workflowId() + "  " + v.workflowStatus() + (v.completed() ? "" : phase));
    if (v.result() != null) {
      printResultRows(out, v.result());
    } else if (v.failure() != null) {
      row(out, "failure", v.failure());
    }
    row(out, "ui", ui);
  }

  private static void printResultRows(PrintWriter out, RotationResult r) {
    row(out, "new key", fingerprint(r.newKey()) + "  alias " + r.newKeyAlias());
    boolean first = true;
    for (PublishReceipt p : receipts(r)) {
      row(out, first ? "published" : "", p.location() + versionText(p));
      first = false;
    }
    RevokeReceipt rv = r.revoked();
    EmergencyReport e = r.emergency();
    if (e != null) {
      row(
          out,
          "EMERGENCY",
          "leaked key "
              + fingerprint(e.leakedKey())
              + (e.alreadyBlocked() ? " was already blocked" : " blocked")
              + " at "
              + Instant.ofEpochMilli(e.blockedAtMillis())
              + "; requested by "
              + e.requestedBy());
      row(
          out,
          "window",
          e.windowMillis()
              + " ms from the block until the new key was published everywhere (at "
              + Instant.ofEpochMilli(e.publishedAtMillis())
              + ")");
    }
    row(
        out,
        "old key",
        fingerprint(r.oldKey())
            + (rv != null && rv.alreadyGone() ? " was already gone" : " revoked")
            + (e != null
                ? " right after publish (emergency: no grace)"
                : r.revokedEarly() ? " early (revoke-now)" : " after the grace period")
            + (rv == null || rv.proofOfRejection() == null
                ? ""
                : "; checked: " + rv.proofOfRejection()));
  }

  /** Every destination the rotation published to, the primary first. */
  static List<PublishReceipt> receipts(RotationResult r) {
    return r.publishedTo() == null ? List.of() : r.publishedTo();
  }

  /**
   * " v3 (replaced v2)" for a store with numbered versions; nothing for one without (a file, an AWS
   * version id: the receipt says -1 there).
   */
  static String versionText(PublishReceipt p) {
    if (p.version() <= 0) {
      return "";
    }
    return " v"
        + p.version()
        + (p.previousVersion() > 0 ? " (replaced v" + p.previousVersion() + ")" : "");
  }

  public static void row(PrintWriter out, String label, String value) {
    out.println(String.format("  %-12s %s", label, value == null ? "-" : value));
  }

  static String fingerprint(KeyRef k) {
    return k == null ? null : k.fingerprint();
  }

  private static String until(String isoInstant, Clock clock) {
    try {
      Duration d = Duration.between(clock.instant(), Instant.parse(isoInstant));
      return d.isNegative() ? "" : " (in " + Durations.format(d) + ")";
    } catch (DateTimeParseException e) {
      return "";
    }
  }
}
