package io.keyturn.testkit.litellm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * LiteLLM's route groups ({@code LiteLLMRoutes} in {@code litellm/proxy/_types.py} of
 * BerriAI/litellm) and the per-key {@code allowed_routes} check ({@code
 * is_virtual_key_allowed_to_call_route} in {@code litellm/proxy/auth/route_checks.py}): exact
 * match, a prefix on a {@code /} boundary, a group name, or a trailing {@code *} wildcard. Group
 * members may hold placeholders such as {@code {key_id}} that match one path segment.
 */
final class Routes {
  private Routes() {}

  static final List<String> OPENAI_ROUTES =
      List.of(
          "/v1/models",
          "/models",
          "/v1/models/{model}",
          "/models/{model}",
          "/chat/completions",
          "/v1/chat/completions",
          "/completions",
          "/v1/completions",
          "/embeddings",
          "/v1/embeddings",
          "/images/generations",
          "/v1/images/generations",
          "/audio/transcriptions",
          "/v1/audio/transcriptions",
          "/audio/speech",
          "/v1/audio/speech",
          "/moderations",
          "/v1/moderations",
          "/responses",
          "/v1/responses",
          "/batches",
          "/v1/batches",
          "/files",
          "/v1/files",
          "/threads/{thread_id}",
          "/v1/threads/{thread_id}");

  static final List<String> LLM_API_ROUTES;

  static {
    List<String> llm = new ArrayList<>(OPENAI_ROUTES);
    llm.addAll(List.of("/v1/messages", "/anthropic/v1/messages", "/mcp", "/v1/mcp", "/guardrails"));
    LLM_API_ROUTES = List.copyOf(llm);
  }

  static final List<String> INFO_ROUTES =
      List.of(
          "/key/info",
          "/key/list",
          "/key/health",
          "/v2/key/info",
          "/models",
          "/v1/models",
          "/model/info",
          "/v1/model/info",
          "/v2/model/info",
          "/health",
          "/team/info",
          "/team/list",
          "/user/info",
          "/global/spend/logs",
          "/spend/logs");

  static final List<String> KEY_MANAGEMENT_ROUTES =
      List.of(
          "/key/generate",
          "/key/update",
          "/key/delete",
          "/key/info",
          "/key/regenerate",
          "/key/service-account/generate",
          "/key/{key_id}/regenerate",
          "/key/list",
          "/key/block",
          "/key/unblock",
          "/key/bulk_update",
          "/key/{key_id}/reset_spend",
          "/key/aliases");

  static final List<String> MANAGEMENT_ROUTES;

  static {
    List<String> m = new ArrayList<>(KEY_MANAGEMENT_ROUTES);
    m.addAll(
        List.of(
            "/user/new",
            "/user/update",
            "/user/delete",
            "/user/info",
            "/team/new",
            "/team/update",
            "/team/delete",
            "/team/info",
            "/model/new",
            "/model/update",
            "/model/delete",
            "/team/daily/activity",
            "/spend/logs"));
    MANAGEMENT_ROUTES = List.copyOf(m);
  }

  static final Map<String, List<String>> GROUPS =
      Map.of(
          "llm_api_routes", LLM_API_ROUTES,
          "openai_routes", OPENAI_ROUTES,
          "info_routes", INFO_ROUTES,
          "management_routes", MANAGEMENT_ROUTES,
          "key_management_routes", KEY_MANAGEMENT_ROUTES);

  /** Routes only a proxy admin (or an internal user, for its own keys) may call. */
  static final Set<String> KEY_WRITE_ROUTES =
      Set.of(
          "/key/generate",
          "/key/update",
          "/key/delete",
          "/key/regenerate",
          "/key/block",
          "/key/unblock",
          "/key/service-account/generate",
          "/key/bulk_update");

  /** Routes that need no auth at all. */
  static final Set<String> PUBLIC_ROUTES =
      Set.of("/health/liveliness", "/health/liveness", "/health/readiness", "/", "/routes");

  /** LiteLLM's {@code is_virtual_key_allowed_to_call_route}; empty or null allows everything. */
  static boolean allowed(List<String> allowedRoutes, String route) {
    if (allowedRoutes == null || allowedRoutes.isEmpty()) {
      return true;
    }
    for (String entry : allowedRoutes) {
      if (entry == null) {
        continue;
      }
      if (entry.equals(route) || route.startsWith(entry.endsWith("/") ? entry : entry + "/")) {
        return true;
      }
      List<String> group = GROUPS.get(entry);
      if (group != null && group.stream().anyMatch(p -> matchesPattern(p, route))) {
        return true;
      }
      if (entry.endsWith("*") && route.startsWith(entry.substring(0, entry.length() - 1))) {
        return true;
      }
    }
    return false;
  }

  /** A group member such as {@code /key/{key_id}/regenerate} against a concrete route. */
  static boolean matchesPattern(String pattern, String route) {
    if (!pattern.contains("{")) {
      return pattern.equals(route);
    }
    String[] p = pattern.split("/", -1);
    String[] r = route.split("/", -1);
    if (p.length != r.length) {
      return false;
    }
    for (int i = 0; i < p.length; i++) {
      boolean placeholder = p[i].startsWith("{") && p[i].endsWith("}");
      if (placeholder ? r[i].isEmpty() : !p[i].equals(r[i])) {
        return false;
      }
    }
    return true;
  }

  /** The message of a route denial, with the list as a Python repr. */
  static String denial(List<String> allowedRoutes, String route) {
    return "Virtual key is not allowed to call this route. Only allowed to call routes: "
        + Answer.pythonRepr(allowedRoutes)
        + ". Tried to call route: "
        + route;
  }
}
