package io.keyturn.testkit.litellm;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code POST /key/block} and {@code POST /key/unblock} ({@code block_key} / {@code unblock_key} in
 * {@code litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm): sets
 * {@code blocked} and answers the whole row, for a key already blocked too; an unknown key is a 404
 * as 1.106.12 answers it.
 */
final class KeyBlock extends RoutedEndpoint {
  private static final Pattern KEY_FORMAT =
      Pattern.compile("^sk-[A-Za-z0-9_-]+$|^[a-fA-F0-9]{64}$");

  KeyBlock(KeyTable table, ProxyErrors errors) {
    super(table, errors, "POST", "/key/block", "/key/unblock");
  }

  @Override
  public Answer answer(Call call) {
    Map<String, Object> b = call.body();
    String key = requiredKey(b);
    if (key.length() < 3 || key.length() > 100 || !KEY_FORMAT.matcher(key).matches()) {
      return errors.shapeB(400, "Invalid key format.");
    }
    KeyRow row = table.get(VirtualKeys.hashIfNeeded(key));
    if (row == null) {
      // 1.106 looks the row up first (1.82 did only with store_audit_logs, else its update of a
      // missing row failed).
      return errors.shapeA(404, "Key not found.", "not_found_error", "key");
    }
    row.blocked = call.route().equals("/key/block");
    row.touch(table.now());
    return Answer.ok(row.toWire(KeyRow.DateStyle.OFFSET));
  }
}
