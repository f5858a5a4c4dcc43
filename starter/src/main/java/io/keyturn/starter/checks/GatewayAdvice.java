package io.keyturn.starter.checks;

import io.keyturn.gateway.litellm.GatewayCheck;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A gateway check's fix as the user reads it: {@link GatewayCheck} names the worker's variables
 * ({@code LITELLM_MASTER_KEY}); the CLI names the place it actually read the key from (an option,
 * or keyturn.yaml's {@code managementKey}).
 */
public final class GatewayAdvice {
  private static final String DEFAULT_PLACE = "LITELLM_MASTER_KEY or LITELLM_MASTER_KEY_FILE";

  private GatewayAdvice() {}

  /**
   * The fix as a user should read it.
   *
   * @param fix the check's fix text, or null
   * @param keyPlace where this key was read from (e.g. "$ROTATOR_KEY", "the file /x/mgmt.key"), or
   *     null for the default variables
   */
  public static String fix(String fix, String keyPlace) {
    if (fix == null) {
      return null;
    }
    return keyPlace == null ? fix : fix.replace(DEFAULT_PLACE, keyPlace);
  }

  /** The report's JSON with its fix rewritten the same way. */
  public static Map<String, Object> toMap(GatewayCheck.Report r, String keyPlace) {
    Map<String, Object> m = new LinkedHashMap<>(r.toMap());
    if (m.containsKey("fix")) {
      m.put("fix", fix(r.fix(), keyPlace));
    }
    return m;
  }
}
