package io.keyturn.testkit.litellm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The types of the key request fields ({@code GenerateRequestBase}, {@code KeyRequestBase} and
 * their subclasses in {@code litellm/proxy/_types.py} of BerriAI/litellm), checked as FastAPI and
 * pydantic check them, and the conversions from parsed JSON to a row's typed columns.
 */
final class FieldTypes {
  private FieldTypes() {}

  private static final List<String> LIST_FIELDS =
      List.of(
          "models",
          "allowed_cache_controls",
          "allowed_routes",
          "tags",
          "guardrails",
          "policies",
          "prompts",
          "enforced_params",
          "access_group_ids",
          "allowed_passthrough_routes",
          "allowed_vector_store_indexes");
  private static final List<String> DICT_FIELDS =
      List.of(
          "metadata",
          "aliases",
          "config",
          "permissions",
          "model_max_budget",
          "model_rpm_limit",
          "model_tpm_limit",
          "router_settings",
          "object_permission");
  private static final List<String> NUMBER_FIELDS =
      List.of("max_budget", "soft_budget", "spend", "temp_budget_increase");
  private static final List<String> INT_FIELDS =
      List.of("tpm_limit", "rpm_limit", "max_parallel_requests");
  private static final List<String> STRING_FIELDS =
      List.of(
          "key",
          "key_alias",
          "duration",
          "user_id",
          "team_id",
          "agent_id",
          "budget_duration",
          "rotation_interval",
          "budget_id",
          "organization_id",
          "project_id",
          "grace_period",
          "new_key",
          "new_master_key");
  private static final List<String> BOOL_FIELDS =
      List.of("auto_rotate", "blocked", "send_invite_email");
  private static final List<String> KEY_TYPES =
      List.of("llm_api", "management", "read_only", "default");

  /** Fields only a licensed (Enterprise) proxy accepts on generate. */
  static final List<String> PREMIUM_FIELDS =
      List.of(
          "tags",
          "guardrails",
          "policies",
          "prompts",
          "enforced_params",
          "allowed_passthrough_routes");

  /** Request fields the proxy stores inside the key's {@code metadata}, not in a column. */
  static final List<String> METADATA_FIELDS =
      List.of(
          "tags",
          "guardrails",
          "policies",
          "prompts",
          "enforced_params",
          "model_rpm_limit",
          "model_tpm_limit",
          "allowed_passthrough_routes");

  /** A JSON type pydantic checks: its fields, the values it takes, and its 422 wording. */
  private record JsonType(
      List<String> fields, Predicate<Object> fits, String message, String errorType) {}

  /** In the order FastAPI reports them: the first misfit of the first type is the answer. */
  private static final List<JsonType> TYPES =
      List.of(
          new JsonType(LIST_FIELDS, v -> v instanceof List, "a valid list", "list_type"),
          new JsonType(DICT_FIELDS, v -> v instanceof Map, "a valid dictionary", "dict_type"),
          new JsonType(NUMBER_FIELDS, v -> v instanceof Number, "a valid number", "float_type"),
          new JsonType(INT_FIELDS, FieldTypes::isInteger, "a valid integer", "int_type"),
          new JsonType(STRING_FIELDS, v -> v instanceof String, "a valid string", "string_type"),
          new JsonType(BOOL_FIELDS, v -> v instanceof Boolean, "a valid boolean", "bool_type"));

  /** The 422 of the first field whose JSON type is wrong, or null when all fit. */
  static Answer check(Map<String, Object> b) {
    for (JsonType type : TYPES) {
      for (String f : type.fields()) {
        if (b.get(f) != null && !type.fits().test(b.get(f))) {
          return Answer.unprocessable(
              List.of("body", f), "Input should be " + type.message(), type.errorType());
        }
      }
    }
    Object kt = b.get("key_type");
    if (kt != null && !KEY_TYPES.contains(kt)) {
      return Answer.unprocessable(
          List.of("body", "key_type"),
          "Input should be 'llm_api', 'management', 'read_only' or 'default'",
          "enum");
    }
    return null;
  }

  private static boolean isInteger(Object v) {
    return v instanceof Integer
        || v instanceof Long
        || (v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()));
  }

  /** A JSON object as a fresh mutable map; anything else (null included) as an empty one. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> dict(Object o) {
    if (o instanceof Map<?, ?> m) {
      return new LinkedHashMap<>((Map<String, Object>) m);
    }
    return new LinkedHashMap<>();
  }

  /** A JSON array as strings (null items stay null); anything else as an empty list. */
  static List<String> strings(Object o) {
    if (o instanceof List<?> l) {
      List<String> out = new ArrayList<>();
      for (Object x : l) {
        out.add(x == null ? null : x.toString());
      }
      return out;
    }
    return new ArrayList<>();
  }
}
