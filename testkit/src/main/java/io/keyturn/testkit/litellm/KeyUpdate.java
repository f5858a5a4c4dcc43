package io.keyturn.testkit.litellm;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code POST /key/update} ({@code update_key_fn} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm): the fields
 * sent, in the order sent, over the row; the metadata-kept fields into {@code metadata}; {@code
 * duration} recomputes {@code expires} ({@code null} or {@code "-1"} clears it).
 */
final class KeyUpdate extends RoutedEndpoint {

  KeyUpdate(KeyTable table, ProxyErrors errors) {
    super(table, errors, "POST", "/key/update");
  }

  @Override
  public Answer answer(Call call) {
    Caller caller = call.caller();
    Map<String, Object> b = typedBody(call);
    String key = requiredKey(b);
    String hash = VirtualKeys.hashIfNeeded(key);
    KeyRow row = table.get(hash);
    if (row == null) {
      // 1.106.12 (_get_and_validate_existing_key); 1.82.3 answered 401 auth_error here.
      return errors.shapeA(404, "Key not found.", "not_found_error", "key");
    }
    if (!caller.mayChange(row)) {
      return errors.shapeA(403, "You are not authorized to update this key", "auth_error", null);
    }
    String alias = (String) b.get("key_alias");
    if (alias != null && table.aliasTaken(alias, hash)) {
      return errors.aliasTaken(alias);
    }
    Instant now = table.now();
    if (b.containsKey("duration")) {
      Object d = b.get("duration");
      if (d == null || "-1".equals(d)) {
        row.expires = null;
      } else {
        try {
          row.expires = LiteLlmDurations.plus(now, (String) d);
        } catch (IllegalArgumentException e) {
          return errors.shapeA(400, "Authentication Error, " + e.getMessage(), "auth_error", null);
        }
      }
    }
    for (Map.Entry<String, Object> e : b.entrySet()) {
      String f = e.getKey();
      if (f.equals("key") || f.equals("duration") || e.getValue() == null) {
        continue;
      }
      if (FieldTypes.METADATA_FIELDS.contains(f)) {
        Map<String, Object> md = new LinkedHashMap<>(row.metadata);
        md.put(f, e.getValue());
        row.metadata = md;
      } else {
        row.write(f, e.getValue());
      }
    }
    row.touch(now);
    row.updatedBy = caller.userId();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("key", key);
    out.putAll(row.toWire(KeyRow.DateStyle.OFFSET));
    return Answer.ok(out);
  }
}
