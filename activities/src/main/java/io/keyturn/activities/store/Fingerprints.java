package io.keyturn.activities.store;

/** How a stored value is named in log lines and messages: a short prefix of its token hash. */
final class Fingerprints {
  private Fingerprints() {}

  static String shortForm(String fingerprint) {
    if (fingerprint == null || fingerprint.isEmpty()) {
      return "(none)";
    }
    return "sha256:" + fingerprint.substring(0, Math.min(12, fingerprint.length()));
  }
}
