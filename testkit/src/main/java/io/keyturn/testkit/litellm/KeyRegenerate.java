package io.keyturn.testkit.litellm;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /key/regenerate} and {@code POST /key/{key}/regenerate} ({@code regenerate_key_fn} in
 * {@code litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm). For
 * the master key it re-encrypts the stored values ({@link StoredSecrets}) to {@code new_master_key}
 * and echoes it (the running master key does not change until a restart). A virtual key needs a
 * licensed proxy: the old row is archived, the row takes the new hash, the body's fields are
 * written over it, and with a {@code grace_period} the old key keeps authenticating as the new one
 * until it ends.
 */
final class KeyRegenerate extends RoutedEndpoint {
  private final Auth auth;
  private final boolean licensed;
  private final StoredSecrets secrets;

  KeyRegenerate(
      KeyTable table, ProxyErrors errors, Auth auth, boolean licensed, StoredSecrets secrets) {
    super(table, errors, "POST", "/key/regenerate");
    this.auth = auth;
    this.licensed = licensed;
    this.secrets = secrets;
  }

  @Override
  public boolean serves(String route) {
    return super.serves(route) || pathKey(route) != null;
  }

  /** The key of {@code /key/{key}/regenerate}, or null for any other route. */
  private static String pathKey(String route) {
    if (route.startsWith("/key/") && route.endsWith("/regenerate") && route.length() > 16) {
      return route.substring("/key/".length(), route.length() - "/regenerate".length());
    }
    return null;
  }

  @Override
  public Answer answer(Call call) {
    Caller caller = call.caller();
    Map<String, Object> b = typedBody(call);
    String key = b.get("key") instanceof String s ? s : pathKey(call.route());
    if (key == null) {
      return Answer.unprocessable(List.of("body", "key"), "Field required", "missing");
    }
    if (auth.isMasterKey(key)) {
      return masterKey(caller, b);
    }
    if (!licensed) {
      return errors.internal(
          500,
          "Regenerating Virtual Keys is an Enterprise feature, You must be a LiteLLM Enterprise"
              + " user to use this feature. If you have a license please set `LITELLM_LICENSE` in"
              + " your env. Get a 7 day trial key here: https://www.litellm.ai/#trial.");
    }
    // regenerate_key_fn tests for the substring "sk", not the prefix: `if "sk" not in key`.
    String oldHash = key.contains("sk") ? VirtualKeys.sha256(key) : key;
    KeyRow row = table.get(oldHash);
    if (row == null) {
      return errors.shapeB(404, "Key " + key + " not found.");
    }
    if (!caller.mayChange(row)) {
      return errors.shapeB(403, "You are not authorized to regenerate this key");
    }
    Object nk = b.get("new_key");
    if (nk instanceof String s && !s.startsWith("sk-")) {
      return errors.shapeB(
          400,
          "New key must start with 'sk-'. This is to distinguish a key hash (used for internal"
              + " storage) from an actual key.");
    }
    String alias = (String) b.get("key_alias");
    if (alias != null && table.aliasTaken(alias, oldHash)) {
      return errors.aliasTaken(alias);
    }
    String newRaw = nk instanceof String s ? s : VirtualKeys.mint();
    String newHash = VirtualKeys.sha256(newRaw);
    if (table.contains(newHash)) {
      return errors.shapeB(500, "Internal Server Error.");
    }
    Instant now = table.now();
    Instant revokeAt = null;
    Instant expires = row.expires;
    try {
      if (b.get("grace_period") != null) {
        revokeAt = LiteLlmDurations.plus(now, (String) b.get("grace_period"));
      }
      if (b.get("duration") != null) {
        expires = LiteLlmDurations.plus(now, (String) b.get("duration"));
      }
    } catch (IllegalArgumentException e) {
      return errors.shapeB(500, "Internal Server Error.");
    }
    table.archive(row, now, caller.userId(), null);
    if (revokeAt != null && revokeAt.isAfter(now)) {
      table.deprecate(oldHash, newHash, revokeAt);
    }
    table.remove(oldHash);
    row.token = newHash;
    row.keyName = VirtualKeys.keyName(newRaw);
    row.expires = expires;
    for (Map.Entry<String, Object> e : b.entrySet()) {
      if (e.getValue() != null) {
        row.write(e.getKey(), e.getValue());
      }
    }
    row.touch(now);
    table.put(row);
    Map<String, Object> out = row.toWire(KeyRow.DateStyle.ZULU);
    out.put("key", newRaw);
    out.put("token_id", newHash);
    out.put("token", null);
    return Answer.ok(out);
  }

  /** The master key: only an admin, and only with {@code new_master_key}; echoed back. */
  private Answer masterKey(Caller caller, Map<String, Object> b) {
    if (!caller.admin()) {
      return errors.shapeB(403, "You are not authorized to regenerate this key");
    }
    if (!(b.get("new_master_key") instanceof String nm) || nm.isEmpty()) {
      return errors.shapeB(400, "New master key is required.");
    }
    // rotate_master_key: stored values move to the new key; the running master key stays.
    secrets.reencrypt(nm);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("key", nm);
    out.put("token", nm);
    out.put("key_name", nm);
    out.put("expires", null);
    return Answer.ok(out);
  }
}
