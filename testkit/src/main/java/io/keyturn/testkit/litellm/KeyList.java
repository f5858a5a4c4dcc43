package io.keyturn.testkit.litellm;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

/**
 * {@code GET /key/list} ({@code list_keys} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm): paging,
 * sorting, the status and column filters, an internal user's own keys only, and hashes or whole
 * rows ({@code return_full_object}).
 */
final class KeyList extends RoutedEndpoint {
  private static final Set<String> SORTABLE =
      Set.of("spend", "max_budget", "created_at", "updated_at", "token", "key_alias");
  private static final List<String> STATUSES = List.of("active", "expired", "revoked", "deleted");

  /** The query filters, and the row value each compares ({@code key_hash} is the token). */
  private static final Map<String, Function<KeyRow, String>> FILTERS = new LinkedHashMap<>();

  static {
    FILTERS.put("user_id", r -> r.userId);
    FILTERS.put("team_id", r -> r.teamId);
    FILTERS.put("organization_id", r -> r.organizationId);
    FILTERS.put("project_id", r -> r.projectId);
    FILTERS.put("key_alias", r -> r.keyAlias);
    FILTERS.put("key_hash", r -> r.token);
  }

  private final Auth auth;

  KeyList(KeyTable table, ProxyErrors errors, Auth auth) {
    super(table, errors, "GET", "/key/list");
    this.auth = auth;
  }

  /** A row to list: a live one, or an archived one for {@code status=deleted}. */
  private record Listed(KeyRow row, DeletedKey archived) {
    Map<String, Object> toWire() {
      KeyRow.DateStyle style = KeyRow.DateStyle.OFFSET;
      return archived != null ? archived.toWire(style) : row.toWire(style);
    }
  }

  @Override
  public Answer answer(Call call) {
    Caller caller = call.caller();
    Map<String, String> q = call.query();
    int page;
    int size;
    try {
      page = Integer.parseInt(q.getOrDefault("page", "1"));
    } catch (NumberFormatException e) {
      return Answer.unprocessable(
          List.of("query", "page"), "Input should be a valid integer", "int_parsing");
    }
    try {
      size = Integer.parseInt(q.getOrDefault("size", "10"));
    } catch (NumberFormatException e) {
      return Answer.unprocessable(
          List.of("query", "size"), "Input should be a valid integer", "int_parsing");
    }
    if (page < 1) {
      return Answer.unprocessable(
          List.of("query", "page"),
          "Input should be greater than or equal to 1",
          "greater_than_equal");
    }
    if (size < 1 || size > 100) {
      return Answer.unprocessable(
          List.of("query", "size"),
          size < 1
              ? "Input should be greater than or equal to 1"
              : "Input should be less than or equal to 100",
          size < 1 ? "greater_than_equal" : "less_than_equal");
    }
    String sortBy = q.get("sort_by");
    if (sortBy != null && !SORTABLE.contains(sortBy)) {
      return errors.shapeA(
          400,
          "Invalid sort_by value. Must be one of " + new TreeSet<>(SORTABLE),
          "bad_request_error",
          "sort_by");
    }
    String status = q.get("status");
    if (status != null && !STATUSES.contains(status)) {
      // 1.106.12; 1.82.3 supported only 'deleted' ("Currently only 'deleted' is supported.").
      return errors.shapeB(
          400, "Invalid status value. Supported: 'active', 'expired', 'revoked', 'deleted'.");
    }
    Map<String, String> filters = new LinkedHashMap<>();
    for (String f : FILTERS.keySet()) {
      if (q.get(f) != null) {
        filters.put(f, q.get(f));
      }
    }
    if (!caller.canReadAll()) {
      // validate_key_list_check: no user_id, or a user_id with no user row, is refused alike.
      if (caller.userId() == null || !auth.hasUser(caller.userId())) {
        return errors.shapeA(
            403,
            "You are not authorized to access this endpoint. No 'user_id' is associated with your"
                + " API key.",
            "bad_request_error",
            "user_id");
      }
      filters.put("user_id", caller.userId());
    }
    List<Listed> source = new ArrayList<>();
    if ("deleted".equals(status)) {
      table.archive().forEach(d -> source.add(new Listed(d.row(), d)));
    } else {
      table.live().forEach(r -> source.add(new Listed(r, null)));
    }
    source.removeIf(
        l ->
            filters.entrySet().stream()
                .anyMatch(f -> !f.getValue().equals(FILTERS.get(f.getKey()).apply(l.row()))));
    if (status != null && !status.equals("deleted")) {
      Instant at = table.now();
      source.removeIf(l -> !l.row().status(at).equals(status));
    }
    Comparator<Listed> order;
    boolean asc = "asc".equalsIgnoreCase(q.get("sort_order"));
    if (sortBy == null) {
      order =
          Comparator.<Listed, Long>comparing(l -> l.row().seq).thenComparing(l -> l.row().token);
      asc = false;
    } else {
      order = Comparator.comparing(l -> sortValue(l.row(), sortBy), KeyList::compareNullable);
    }
    source.sort(asc ? order : order.reversed());
    int total = source.size();
    int from = Math.min(total, (page - 1) * size);
    int to = Math.min(total, from + size);
    boolean full = "true".equalsIgnoreCase(q.get("return_full_object"));
    List<Object> keys = new ArrayList<>();
    for (Listed l : source.subList(from, to)) {
      if (full) {
        Map<String, Object> obj = l.toWire();
        obj.put("api_key", null);
        obj.put("user_role", null);
        obj.put("team_spend", null);
        keys.add(obj);
      } else {
        keys.add(l.row().token);
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("keys", keys);
    out.put("total_count", total);
    out.put("current_page", page);
    out.put("total_pages", (total + size - 1) / size);
    return Answer.ok(out);
  }

  @SuppressWarnings("rawtypes")
  private static Comparable sortValue(KeyRow r, String column) {
    return switch (column) {
      case "spend" -> r.spend == null ? null : r.spend.doubleValue();
      case "max_budget" -> r.maxBudget == null ? null : r.maxBudget.doubleValue();
      case "created_at" -> r.createdAt;
      case "updated_at" -> r.updatedAt;
      case "token" -> r.token;
      case "key_alias" -> r.keyAlias;
      default -> throw new IllegalArgumentException(column);
    };
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compareNullable(Comparable a, Comparable b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : -1) : 1;
    }
    return a.compareTo(b);
  }
}
