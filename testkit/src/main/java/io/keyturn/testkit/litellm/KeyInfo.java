package io.keyturn.testkit.litellm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /key/info?key=} ({@code info_key_fn} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm): the caller's
 * own key without {@code key}; a live row, or (1.106.12) the newest archived row of a deleted key
 * with {@code status: deleted}; readable by admins and viewers, the key itself, its user and its
 * team.
 */
final class KeyInfo extends RoutedEndpoint {

  KeyInfo(KeyTable table, ProxyErrors errors) {
    super(table, errors, "GET", "/key/info");
  }

  @Override
  public Answer answer(Call call) {
    Caller caller = call.caller();
    String asPassed = call.query().get("key");
    String key = asPassed != null ? asPassed : caller.hash();
    String hash = VirtualKeys.hashIfNeeded(key);
    KeyRow row = table.get(hash);
    DeletedKey archived = row == null ? table.newestArchived(hash) : null;
    if (archived != null) {
      row = archived.row();
    }
    if (row == null) {
      return errors.shapeA(404, "Key not found in database", "not_found_error", "key");
    }
    boolean allowed =
        caller.canReadAll()
            || hash.equals(caller.hash())
            || (row.userId != null && row.userId.equals(caller.userId()))
            || (row.teamId != null && row.teamId.equals(caller.teamId()));
    if (!allowed) {
      return errors.internal(
          403, "You are not allowed to access this key's info. Your role=" + caller.roleText());
    }
    KeyRow.DateStyle style = KeyRow.DateStyle.OFFSET;
    Map<String, Object> info = archived != null ? archived.toWire(style) : row.toWire(style);
    info.remove("token");
    info.put("object_permission", null);
    info.put("status", archived != null ? "deleted" : row.status(table.now()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("key", key);
    out.put("info", info);
    return Answer.ok(out);
  }
}
