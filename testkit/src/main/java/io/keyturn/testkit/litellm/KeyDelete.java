package io.keyturn.testkit.litellm;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code POST /key/delete} ({@code delete_key_fn} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm): by {@code
 * keys} (values or hashes) or by {@code key_aliases}; an internal user only its own keys; each row
 * archived. With {@link Faults#deletePropagationDelay} a deleted key keeps authenticating a while,
 * as through a proxy's cache.
 */
final class KeyDelete extends RoutedEndpoint {
  private final Faults faults;

  KeyDelete(KeyTable table, ProxyErrors errors, Faults faults) {
    super(table, errors, "POST", "/key/delete");
    this.faults = faults;
  }

  @Override
  public Answer answer(Call call) {
    Caller caller = call.caller();
    Map<String, Object> b = call.body();
    Object keys = b.get("keys");
    Object aliases = b.get("key_aliases");
    if ((keys != null && !(keys instanceof List))
        || (aliases != null && !(aliases instanceof List))) {
      return Answer.unprocessable(
          List.of("body", keys != null ? "keys" : "key_aliases"),
          "Input should be a valid list",
          "list_type");
    }
    if (keys == null && aliases == null) {
      return Answer.unprocessable(
          List.of("body"),
          "Value error, At least one of 'keys' or 'key_aliases' must be provided.",
          "value_error");
    }
    List<String> input = FieldTypes.strings(keys != null ? keys : aliases);
    List<String> matched = new ArrayList<>();
    if (keys != null) {
      for (String k : input) {
        String h = VirtualKeys.hashIfNeeded(k);
        if (table.contains(h) && !matched.contains(h)) {
          matched.add(h);
        }
      }
    } else {
      for (KeyRow row : table.live()) {
        if (input.contains(row.keyAlias)) {
          matched.add(row.token);
        }
      }
    }
    if (!caller.admin()) {
      for (String h : matched) {
        String owner = table.get(h).userId;
        if (owner == null || !owner.equals(caller.userId())) {
          return errors.shapeB(403, "You are not authorized to delete this key");
        }
      }
    }
    if (matched.isEmpty()) {
      return errors.shapeB(404, "No keys found");
    }
    Duration linger = faults.deletePropagationDelay();
    Instant now = table.now();
    for (String h : matched) {
      table.delete(h, now, caller.userId(), caller.hash(), linger);
    }
    return Answer.ok(Map.of("deleted_keys", input));
  }
}
