package io.keyturn.testkit.litellm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * {@code GET /key/aliases} ({@code key_aliases} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm): the distinct
 * aliases of live keys, sorted, optionally searched, in pages.
 */
final class KeyAliases extends RoutedEndpoint {

  KeyAliases(KeyTable table, ProxyErrors errors) {
    super(table, errors, "GET", "/key/aliases");
  }

  @Override
  public Answer answer(Call call) {
    Map<String, String> q = call.query();
    int page;
    int size;
    try {
      page = Math.max(1, Integer.parseInt(q.getOrDefault("page", "1")));
      size = Integer.parseInt(q.getOrDefault("size", "50"));
    } catch (NumberFormatException e) {
      return Answer.unprocessable(
          List.of("query", "page"), "Input should be a valid integer", "int_parsing");
    }
    if (size < 1 || size > 100) {
      return Answer.unprocessable(
          List.of("query", "size"), "Input should be less than or equal to 100", "less_than_equal");
    }
    String search = q.get("search");
    List<String> all =
        table.live().stream()
            .map(r -> r.keyAlias)
            .filter(Objects::nonNull)
            .filter(a -> search == null || a.toLowerCase().contains(search.toLowerCase()))
            .distinct()
            .sorted()
            .toList();
    int from = Math.min(all.size(), (page - 1) * size);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("aliases", all.subList(from, Math.min(all.size(), from + size)));
    out.put("total_count", all.size());
    out.put("current_page", page);
    out.put("total_pages", (all.size() + size - 1) / size);
    out.put("size", size);
    return Answer.ok(out);
  }
}
