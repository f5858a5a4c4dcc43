package io.keyturn.starter;

import io.keyturn.activities.litellm.GatewayCheck;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Words a user reads about a gateway check: {@link GatewayCheck}'s fix text speaks of the design
 * notes' seeds and of {@code LITELLM_MASTER_KEY}; a user needs how to do it, and the place the key
 * was actually read from (an option, or keyturn.yaml's {@code managementKey}).
 */
final class GatewayAdvice {
  private static final String DEFAULT_PLACE = "LITELLM_MASTER_KEY or LITELLM_MASTER_KEY_FILE";

  private GatewayAdvice() {}

  /**
   * The fix as a user should read it.
   *
   * @param fix the check's fix text, or null
   * @param keyPlace where this key was read from (e.g. "$ROTATOR_KEY", "the file /x/mgmt.key"), or
   *     null for the default variables
   */
  static String fix(String fix, String keyPlace) {
    if (fix == null) {
      return null;
    }
    String f =
        fix.replace(
                "a key minted as seed 000 describes",
                "a key minted under a proxy_admin user with the key management routes"
                    + " (`keyturn gateway check --help`)")
            .replace(" (seed 000)", "")
            .replace("seed 000", "a scoped key under a proxy_admin user");
    if (keyPlace != null) {
      f = f.replace(DEFAULT_PLACE, keyPlace);
    }
    return f;
  }

  /** The report's JSON with its fix rewritten the same way. */
  static Map<String, Object> toMap(GatewayCheck.Report r, String keyPlace) {
    Map<String, Object> m = new LinkedHashMap<>(r.toMap());
    if (m.containsKey("fix")) {
      m.put("fix", fix(r.fix(), keyPlace));
    }
    return m;
  }
}
