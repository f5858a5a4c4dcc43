package io.keyturn.gateway.litellm;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.gateway.http.HttpBodies;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * How a live key's row is compared with the policy a file writes out: numbers by value, metadata by
 * the keys the file names (Keyturn adds its own), anything else by equality. One owner for {@code
 * keyturn plan}'s policy drift and the worker's drift check.
 */
public final class PolicyFields {
  private PolicyFields() {}

  /**
   * One sentence per field of {@code desired} the live row {@code info} ({@code /key/info}'s {@code
   * info}) differs in: {@code field: live X, file Y}.
   */
  public static List<String> differences(JsonNode info, Map<String, Object> desired) {
    List<String> diffs = new ArrayList<>();
    desired.forEach(
        (field, want) -> {
          JsonNode live = info.path(field);
          JsonNode wanted = HttpBodies.MAPPER.valueToTree(want);
          if (!same(field, live, wanted)) {
            diffs.add(
                field + ": live " + (live.isMissingNode() ? "null" : live) + ", file " + wanted);
          }
        });
    return diffs;
  }

  private static boolean same(String field, JsonNode live, JsonNode wanted) {
    if (live.isNumber() && wanted.isNumber()) {
      return live.doubleValue() == wanted.doubleValue();
    }
    if (field.equals("metadata") && live.isObject() && wanted.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = wanted.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!same(e.getKey(), live.path(e.getKey()), e.getValue())) {
          return false;
        }
      }
      return true;
    }
    return live.equals(wanted);
  }
}
