package io.keyturn.testkit.litellm;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code POST /key/update} ({@code update_key_fn} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm): the fields
 * sent, in the order sent, over the row; the metadata-kept fields into {@code metadata}; {@code
 * duration} recomputes {@code expires} ({@code null} or {@code "-1"} clears it).
 */
final class KeyUpdate implements Endpoint {
  private final KeyTable table;
  private final ProxyErrors errors;

  KeyUpdate(KeyTable table, ProxyErrors errors) {
    this.table = table;
    this.errors = errors;
  }

  @Override
  public boolean serves(String route) {
    return route.equals("/key/update");
  }

  @Override
  public boolean accepts(String method) {
    return method.equals("POST");
  }

  @Override
  public boolean readsBody() {
    return true;
  }

  @Override
  public Answer answer(Call call) {
    Caller caller = call.caller();
    Map<String, Object> b = call.body();
    Answer bad = FieldTypes.check(b);
    if (bad != null) {
      return bad;
    }
    if (!(b.get("key") instanceof String key)) {
      return Answer.unprocessable(List.of("body", "key"), "Field required", "missing");
    }
    String hash = VirtualKeys.hashIfNeeded(key);
    KeyRow row = table.get(hash);
    if (row == null) {
      // 1.106.12 (_get_and_validate_existing_key); 1.82.3 answered 401 auth_error here.
      return errors.shapeA(404, "Key not found.", "not_found_error", "key");
    }
    if (!caller.admin() && !Objects.equals(row.userId, caller.userId())) {
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
    row.updatedAt = now;
    row.settingsUpdatedAt = now;
    row.updatedBy = caller.userId();
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("key", key);
    out.putAll(row.toWire(KeyRow.DateStyle.OFFSET));
    return Answer.ok(out);
  }
}
