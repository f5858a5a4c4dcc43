package io.keyturn.testkit.litellm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The management API's behaviour, without HTTP: authentication, route checks and one method per
 * endpoint, each following the processing order of litellm-api.md. All state sits behind one lock;
 * answers are built as {@link Answer}s in the proxy's own error shapes.
 */
final class ManagementApi {
  static final String MASTER_ALIAS = "litellm-proxy-master-key";
  static final String PROXY_ADMIN = "proxy_admin";
  static final String PROXY_ADMIN_VIEWER = "proxy_admin_viewer";
  static final String INTERNAL_USER = "internal_user";
  static final long MODEL_CREATED = 1677610602L;

  private static final Pattern DURATION = Pattern.compile("^(\\d+)(mo|[smhdw]?)$");
  private static final Pattern BLOCK_KEY_FORMAT =
      Pattern.compile("^sk-[A-Za-z0-9_-]+$|^[a-fA-F0-9]{64}$");
  private static final Pattern HASH = Pattern.compile("^[a-f0-9]{64}$");
  private static final Set<String> SPECIAL_MODELS =
      Set.of("all-team-models", "all-proxy-models", "no-default-models");
  private static final Set<String> SORTABLE =
      Set.of("spend", "max_budget", "created_at", "updated_at", "token", "key_alias");
  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  /** How a date column is written: pydantic models end in Z, dict answers in +00:00. */
  enum DateStyle {
    ZULU,
    OFFSET
  }

  /** Who is calling, as LiteLLM's {@code UserAPIKeyAuth} would say. */
  record Caller(
      boolean master,
      String role,
      String userId,
      String hash,
      String teamId,
      List<String> allowedRoutes) {
    boolean admin() {
      return PROXY_ADMIN.equals(role);
    }

    boolean canReadAll() {
      return admin() || PROXY_ADMIN_VIEWER.equals(role);
    }
  }

  /** A key superseded by regenerate with a grace period: the old hash resolves to the new row. */
  record Deprecated(String activeHash, Instant revokeAt) {}

  /** A deleted key a proxy cache still accepts until {@code until}. */
  record Lingering(Map<String, Object> row, Instant until) {}

  private final Object lock = new Object();
  private final String masterKey;
  private final List<String> proxyModels;
  private final boolean licensed;
  private final boolean nullParam;
  private final boolean rejectDuplicateKeys;
  private final Map<String, String> userRoles;
  private final Faults faults;
  private final Supplier<Instant> clock;
  private final SecureRandom random = new SecureRandom();

  private final Map<String, Map<String, Object>> rows = new LinkedHashMap<>();
  private final List<Map<String, Object>> deleted = new ArrayList<>();
  private final Map<String, Deprecated> deprecated = new LinkedHashMap<>();
  private final Map<String, Lingering> lingering = new LinkedHashMap<>();
  private volatile boolean dbConnected = true;
  private long sequence;

  ManagementApi(
      String masterKey,
      List<String> proxyModels,
      boolean licensed,
      boolean nullParam,
      boolean rejectDuplicateKeys,
      Map<String, String> userRoles,
      Faults faults,
      Supplier<Instant> clock) {
    this.masterKey = Objects.requireNonNull(masterKey, "masterKey");
    this.proxyModels = List.copyOf(proxyModels);
    this.licensed = licensed;
    this.nullParam = nullParam;
    this.rejectDuplicateKeys = rejectDuplicateKeys;
    this.userRoles = userRoles;
    this.faults = faults;
    this.clock = clock;
  }

  void dbConnected(boolean connected) {
    this.dbConnected = connected;
  }

  // ------------------------------------------------------------------ entry point

  /**
   * Answers one request. {@code header} looks a header up case-insensitively; {@code query} holds
   * decoded query parameters.
   */
  Answer handle(
      String method,
      String route,
      Map<String, String> query,
      Function<String, String> header,
      String body) {
    if (route.equals("/health/liveliness") || route.equals("/health/liveness")) {
      return get(method) ? Answer.ok("I'm alive!") : notAllowed();
    }
    if (route.equals("/health/readiness")) {
      return get(method) ? readiness() : notAllowed();
    }
    if (route.equals("/") || route.equals("/routes")) {
      return Answer.ok(Map.of("message", "LiteLLM management-API emulator (Keyturn test double)"));
    }
    Endpoint endpoint = Endpoint.of(method, route);
    if (endpoint == Endpoint.NOT_FOUND) {
      return Answer.detail(404, "Not Found");
    }
    if (endpoint == Endpoint.WRONG_METHOD) {
      return notAllowed();
    }
    Object authed = authenticate(route, header);
    if (authed instanceof Answer denied) {
      return denied;
    }
    Caller caller = (Caller) authed;
    Map<String, Object> json = null;
    if (endpoint.hasBody) {
      Object parsed = parseBody(body);
      if (parsed instanceof Answer bad) {
        return bad;
      }
      json = castMap(parsed);
    }
    synchronized (lock) {
      return switch (endpoint) {
        case MODELS -> models(caller);
        case GENERATE -> generate(caller, json);
        case INFO -> info(caller, query);
        case DELETE -> delete(caller, json);
        case UPDATE -> update(caller, json);
        case BLOCK -> block(caller, json, true);
        case UNBLOCK -> block(caller, json, false);
        case LIST -> list(caller, query);
        case ALIASES -> aliases(query);
        case REGENERATE -> regenerate(caller, null, json);
        case REGENERATE_PATH -> regenerate(caller, pathKey(route), json);
        default -> Answer.detail(404, "Not Found");
      };
    }
  }

  private enum Endpoint {
    MODELS(false),
    GENERATE(true),
    INFO(false),
    DELETE(true),
    UPDATE(true),
    BLOCK(true),
    UNBLOCK(true),
    LIST(false),
    ALIASES(false),
    REGENERATE(true),
    REGENERATE_PATH(true),
    NOT_FOUND(false),
    WRONG_METHOD(false);

    final boolean hasBody;

    Endpoint(boolean hasBody) {
      this.hasBody = hasBody;
    }

    static Endpoint of(String method, String route) {
      Endpoint e =
          switch (route) {
            case "/v1/models", "/models" -> MODELS;
            case "/key/generate" -> GENERATE;
            case "/key/info" -> INFO;
            case "/key/delete" -> DELETE;
            case "/key/update" -> UPDATE;
            case "/key/block" -> BLOCK;
            case "/key/unblock" -> UNBLOCK;
            case "/key/list" -> LIST;
            case "/key/aliases" -> ALIASES;
            case "/key/regenerate" -> REGENERATE;
            default ->
                route.startsWith("/key/") && route.endsWith("/regenerate") && route.length() > 16
                    ? REGENERATE_PATH
                    : NOT_FOUND;
          };
      if (e == NOT_FOUND) {
        return e;
      }
      boolean wantsGet = e == MODELS || e == INFO || e == LIST || e == ALIASES;
      return wantsGet == method.equals("GET") && (wantsGet || method.equals("POST"))
          ? e
          : WRONG_METHOD;
    }
  }

  private static String pathKey(String route) {
    return route.substring("/key/".length(), route.length() - "/regenerate".length());
  }

  private static boolean get(String method) {
    return method.equals("GET") || method.equals("HEAD");
  }

  private static Answer notAllowed() {
    return Answer.detail(405, "Method Not Allowed");
  }

  // ------------------------------------------------------------------ auth (§2, §8)

  /** Returns a {@link Caller} or the {@link Answer} that refuses the request. */
  private Object authenticate(String route, Function<String, String> header) {
    String key;
    String x = header.apply("x-litellm-api-key");
    if (x != null) {
      key = stripBearer(x);
    } else {
      String auth = header.apply("Authorization");
      if (auth == null) {
        auth = firstNonNull(header.apply("API-Key"), header.apply("x-api-key"));
        key = auth;
      } else if (auth.startsWith("Bearer ") || auth.startsWith("bearer ")) {
        key = auth.substring(7).trim();
      } else if (auth.startsWith("Basic ")) {
        key = auth.substring(6).trim();
      } else {
        return authError(
            "Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.");
      }
    }
    if (key == null || key.isEmpty()) {
      return authError("Authentication Error, No api key passed in.");
    }
    if (MessageDigest.isEqual(
        key.getBytes(StandardCharsets.UTF_8), masterKey.getBytes(StandardCharsets.UTF_8))) {
      return new Caller(true, PROXY_ADMIN, "default_user_id", MASTER_ALIAS, null, List.of());
    }
    if (!key.startsWith("sk-")) {
      return authError(
          "Authentication Error, LiteLLM Virtual Key expected. Received="
              + mask(key)
              + ", expected to start with 'sk-'.");
    }
    String hash = sha256(key);
    Map<String, Object> row;
    String asHash = hash;
    synchronized (lock) {
      row = rows.get(hash);
      if (row == null) {
        Lingering l = lingering.get(hash);
        if (l != null && now().isBefore(l.until())) {
          row = l.row();
        }
      }
      if (row == null) {
        Deprecated d = deprecated.get(hash);
        if (d != null && now().isBefore(d.revokeAt())) {
          row = rows.get(d.activeHash());
          asHash = d.activeHash();
        }
      }
      if (row == null) {
        return Answer.shapeA(
            401,
            "Authentication Error, Invalid proxy server token passed. Unable to find token in"
                + " cache or `LiteLLM_VerificationTokenTable`",
            "token_not_found_in_db",
            "key",
            nullParam);
      }
      row = new LinkedHashMap<>(row);
    }
    if (Boolean.TRUE.equals(row.get("blocked"))) {
      return authError(
          "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.");
    }
    Instant expires = (Instant) row.get("expires");
    if (expires != null && !expires.isAfter(now())) {
      return Answer.shapeA(
          401,
          "Authentication Error - Expired Key. Key Expiry time "
              + expires
              + " and current time "
              + now(),
          "expired_key",
          "sk-..." + hash.substring(hash.length() - 4),
          nullParam);
    }
    String userId = (String) row.get("user_id");
    String role = userId == null ? null : userRoles.getOrDefault(userId, INTERNAL_USER);
    List<String> allowed = strings(row.get("allowed_routes"));
    Caller caller = new Caller(false, role, userId, asHash, (String) row.get("team_id"), allowed);
    if (!Routes.allowed(allowed, route)) {
      return Answer.detail(403, Routes.denial(allowed, route));
    }
    if (Routes.KEY_WRITE_ROUTES.contains(route) || route.endsWith("/regenerate")) {
      if (role == null || PROXY_ADMIN_VIEWER.equals(role)) {
        return authError(
            "Authentication Error, Only proxy admin can be used to generate, delete, update info"
                + " for new keys/users/teams. Route="
                + route
                + ". Your role="
                + (role == null ? "None" : role)
                + ". Your user_id="
                + (userId == null ? "None" : userId));
      }
    }
    return caller;
  }

  private Answer authError(String message) {
    return Answer.shapeA(401, message, "auth_error", null, nullParam);
  }

  private static String stripBearer(String v) {
    return v.startsWith("Bearer ") || v.startsWith("bearer ") ? v.substring(7).trim() : v.trim();
  }

  // ------------------------------------------------------------------ health, models (§9)

  private Answer readiness() {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("status", "healthy");
    r.put("db", dbConnected ? "connected" : "disconnected");
    // 1.106.12's public probe: status and db only (1.82.3 added litellm_version, cache, ...).
    // 1.106.12 also answers 503 when the DB is down; the emulator still answers 200 until
    // GatewayCheck reads db from a 503 (docs/litellm-conformance.md, open item).
    return Answer.ok(r);
  }

  private Answer models(Caller caller) {
    List<String> visible;
    if (caller.master()) {
      visible = proxyModels;
    } else {
      Map<String, Object> row = rows.get(caller.hash());
      List<String> keyModels = row == null ? List.of() : strings(row.get("models"));
      if (keyModels.isEmpty() || keyModels.contains("all-proxy-models")) {
        visible = proxyModels;
      } else {
        visible = keyModels.stream().filter(m -> !SPECIAL_MODELS.contains(m)).toList();
      }
    }
    List<Map<String, Object>> data = new ArrayList<>();
    for (String id : visible) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", id);
      m.put("object", "model");
      m.put("created", MODEL_CREATED);
      m.put("owned_by", "openai");
      data.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("data", data);
    out.put("object", "list");
    return Answer.ok(out);
  }

  // ------------------------------------------------------------------ /key/generate (§3)

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
  private static final List<String> PREMIUM_FIELDS =
      List.of(
          "tags",
          "guardrails",
          "policies",
          "prompts",
          "enforced_params",
          "allowed_passthrough_routes");
  private static final List<String> METADATA_FIELDS =
      List.of(
          "tags",
          "guardrails",
          "policies",
          "prompts",
          "enforced_params",
          "model_rpm_limit",
          "model_tpm_limit",
          "allowed_passthrough_routes");

  /**
   * The request fields {@code GenerateKeyResponse} declares (GenerateRequestBase, KeyRequestBase).
   */
  private static final Set<String> RESPONSE_REQUEST_FIELDS =
      Set.of(
          "key_alias",
          "duration",
          "models",
          "spend",
          "max_budget",
          "user_id",
          "team_id",
          "agent_id",
          "max_parallel_requests",
          "metadata",
          "tpm_limit",
          "rpm_limit",
          "budget_duration",
          "allowed_cache_controls",
          "config",
          "permissions",
          "model_max_budget",
          "model_rpm_limit",
          "model_tpm_limit",
          "guardrails",
          "policies",
          "prompts",
          "blocked",
          "aliases",
          "object_permission",
          "key",
          "budget_id",
          "tags",
          "enforced_params",
          "allowed_routes",
          "allowed_passthrough_routes",
          "allowed_vector_store_indexes",
          "rpm_limit_type",
          "tpm_limit_type",
          "router_settings",
          "access_group_ids",
          "organization_id",
          "project_id");

  /** FastAPI/pydantic type validation of the fields Keyturn and tests send. */
  private static Answer validateTypes(Map<String, Object> b) {
    for (String f : LIST_FIELDS) {
      if (b.get(f) != null && !(b.get(f) instanceof List)) {
        return Answer.unprocessable(
            List.of("body", f), "Input should be a valid list", "list_type");
      }
    }
    for (String f : DICT_FIELDS) {
      if (b.get(f) != null && !(b.get(f) instanceof Map)) {
        return Answer.unprocessable(
            List.of("body", f), "Input should be a valid dictionary", "dict_type");
      }
    }
    for (String f : NUMBER_FIELDS) {
      if (b.get(f) != null && !(b.get(f) instanceof Number)) {
        return Answer.unprocessable(
            List.of("body", f), "Input should be a valid number", "float_type");
      }
    }
    for (String f : INT_FIELDS) {
      Object v = b.get(f);
      if (v != null
          && !(v instanceof Integer || v instanceof Long)
          && !(v instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()))) {
        return Answer.unprocessable(
            List.of("body", f), "Input should be a valid integer", "int_type");
      }
    }
    for (String f : STRING_FIELDS) {
      if (b.get(f) != null && !(b.get(f) instanceof String)) {
        return Answer.unprocessable(
            List.of("body", f), "Input should be a valid string", "string_type");
      }
    }
    for (String f : BOOL_FIELDS) {
      if (b.get(f) != null && !(b.get(f) instanceof Boolean)) {
        return Answer.unprocessable(
            List.of("body", f), "Input should be a valid boolean", "bool_type");
      }
    }
    Object kt = b.get("key_type");
    if (kt != null && !List.of("llm_api", "management", "read_only", "default").contains(kt)) {
      return Answer.unprocessable(
          List.of("body", "key_type"),
          "Input should be 'llm_api', 'management', 'read_only' or 'default'",
          "enum");
    }
    return null;
  }

  private Answer generate(Caller caller, Map<String, Object> b) {
    Answer bad = validateTypes(b);
    if (bad != null) {
      return bad;
    }
    if (!dbConnected) {
      return Answer.shapeB(
          500, "DB not connected. See https://docs.litellm.ai/docs/proxy/virtual_keys", nullParam);
    }
    for (String f : List.of("max_budget", "soft_budget")) {
      if (b.get(f) instanceof Number n
          && (n.doubleValue() < 0 || !Double.isFinite(n.doubleValue()))) {
        return Answer.shapeB(
            400, f + " must be a non-negative finite number. Received: " + n, nullParam);
      }
    }
    String userId = (String) b.get("user_id");
    if (!caller.admin()) {
      if (userId != null && !userId.equals(caller.userId())) {
        // An AssertionError turned into HTTPException(403, detail=str): a plain message.
        return Answer.shapeA(
            403,
            "User can only create keys for themselves. Got user_id="
                + userId
                + ", Your ID="
                + caller.userId(),
            "internal_server_error",
            null,
            nullParam);
      }
      userId = caller.userId();
    }
    if (!licensed) {
      for (String f : PREMIUM_FIELDS) {
        if (b.get(f) != null) {
          return enterpriseOnly(f);
        }
      }
      if (b.get("model_max_budget") instanceof Map<?, ?> m && !m.isEmpty()) {
        // validate_model_max_budget raises a ValueError: a 500, not the 403 of the other fields.
        return Answer.shapeA(
            500,
            "Invalid model_max_budget: You must have an enterprise license to set"
                + " model_max_budget. You must be a LiteLLM Enterprise user to use this feature."
                + " If you have a license please set `LITELLM_LICENSE` in your env. Example of"
                + " valid model_max_budget: https://docs.litellm.ai/docs/proxy/users",
            "internal_server_error",
            null,
            nullParam);
      }
      if (b.get("permissions") instanceof Map<?, ?> p && p.containsKey("get_spend_routes")) {
        return enterpriseOnly("get_spend_routes");
      }
    }
    List<String> allowedRoutes = strings(b.get("allowed_routes"));
    String keyType = (String) b.getOrDefault("key_type", "default");
    if (keyType == null) {
      keyType = "default";
    }
    switch (keyType) {
      case "llm_api" -> allowedRoutes = List.of("llm_api_routes");
      case "management" -> allowedRoutes = List.of("management_routes");
      case "read_only" -> allowedRoutes = List.of("info_routes");
      default -> {}
    }
    String alias = (String) b.get("key_alias");
    if (alias != null && aliasTaken(alias, null)) {
      return aliasTakenAnswer(alias);
    }
    String raw = (String) b.get("key");
    if (raw != null && !raw.startsWith("sk-")) {
      return Answer.shapeB(
          400,
          "Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: " + mask(raw),
          nullParam);
    }
    Instant now = now();
    Instant expires;
    Instant budgetResetAt;
    Instant keyRotationAt = null;
    try {
      expires = b.get("duration") == null ? null : plus(now, (String) b.get("duration"));
      budgetResetAt =
          b.get("budget_duration") == null
              ? null
              : plus(now, budgetDuration((String) b.get("budget_duration")));
      if (b.get("rotation_interval") != null) {
        keyRotationAt = plus(now, (String) b.get("rotation_interval"));
      }
    } catch (IllegalArgumentException e) {
      // generate_key_fn passes the ValueError through handle_exception_on_proxy: a 500.
      return Answer.shapeA(500, e.getMessage(), "internal_server_error", null, nullParam);
    }
    if (raw == null) {
      raw = newRawKey();
    }
    String hash = sha256(raw);
    Map<String, Object> existing = rows.get(hash);
    if (existing != null && rejectDuplicateKeys) {
      return Answer.shapeB(
          400, "Key with this value already exists. Use a different key.", nullParam);
    }

    Map<String, Object> metadata = new LinkedHashMap<>(castMap(b.getOrDefault("metadata", null)));
    for (String f : METADATA_FIELDS) {
      if (b.get(f) != null) {
        metadata.put(f, b.get(f));
      }
    }
    boolean rotating = b.get("rotation_interval") != null;
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("token", hash);
    row.put("key_name", keyName(raw));
    row.put("key_alias", alias);
    row.put("soft_budget_cooldown", false);
    row.put("spend", number(b.get("spend"), 0.0));
    row.put("expires", expires);
    row.put("models", strings(b.get("models")));
    row.put("aliases", castMap(b.get("aliases")));
    row.put("config", castMap(b.get("config")));
    row.put("user_id", userId);
    row.put("team_id", b.get("team_id"));
    row.put("agent_id", b.get("agent_id"));
    row.put("project_id", b.get("project_id"));
    row.put("organization_id", b.get("organization_id"));
    row.put("permissions", castMap(b.get("permissions")));
    row.put("max_parallel_requests", b.get("max_parallel_requests"));
    row.put("metadata", metadata);
    row.put("blocked", b.get("blocked"));
    row.put("tpm_limit", b.get("tpm_limit"));
    row.put("rpm_limit", b.get("rpm_limit"));
    row.put("max_budget", b.get("max_budget"));
    row.put("budget_duration", b.get("budget_duration"));
    row.put("budget_reset_at", budgetResetAt);
    row.put("allowed_cache_controls", strings(b.get("allowed_cache_controls")));
    row.put("allowed_routes", allowedRoutes);
    row.put("policies", b.get("policies"));
    row.put("access_group_ids", strings(b.get("access_group_ids")));
    row.put("model_spend", Map.of());
    row.put("model_max_budget", castMap(b.get("model_max_budget")));
    row.put("router_settings", castMap(b.get("router_settings")));
    row.put("budget_id", b.get("budget_id"));
    row.put("object_permission_id", null);
    row.put("created_at", now);
    row.put("created_by", caller.userId());
    row.put("updated_at", now);
    row.put("updated_by", caller.userId());
    row.put("last_active", null);
    row.put("rotation_count", 0);
    row.put("auto_rotate", rotating && Boolean.TRUE.equals(b.get("auto_rotate")));
    row.put("rotation_interval", rotating ? b.get("rotation_interval") : null);
    row.put("last_rotation_at", null);
    row.put("key_rotation_at", keyRotationAt);
    row.put("litellm_budget_table", null);
    row.put("_seq", ++sequence);
    if (existing == null) {
      rows.put(hash, row);
    } else {
      // Prisma's upsert with update: {} (litellm-api.md §3.3): nothing written, the old row back.
      row.put("created_at", existing.get("created_at"));
      row.put("updated_at", existing.get("updated_at"));
    }

    // GenerateKeyResponse declares the KeyRequestBase fields only: anything else the caller sent
    // (unknown fields, soft_budget, key_type, ...) is dropped by pydantic (litellm-api.md §1,
    // §3.4).
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : b.entrySet()) {
      if (RESPONSE_REQUEST_FIELDS.contains(e.getKey())) {
        out.put(e.getKey(), e.getValue());
      }
    }
    out.put("key", raw);
    out.put("token", hash);
    out.put("token_id", hash);
    out.put("key_name", row.get("key_name"));
    out.put("key_alias", alias);
    out.put("expires", row.get("expires"));
    out.put("models", row.get("models"));
    out.put("spend", row.get("spend"));
    out.put("max_budget", row.get("max_budget"));
    out.put("budget_duration", row.get("budget_duration"));
    out.put("user_id", userId);
    out.put("team_id", row.get("team_id"));
    out.put("agent_id", row.get("agent_id"));
    out.put("organization_id", row.get("organization_id"));
    out.put("project_id", row.get("project_id"));
    out.put("metadata", metadata);
    out.put("aliases", row.get("aliases"));
    out.put("config", row.get("config"));
    out.put("permissions", row.get("permissions"));
    out.put("model_max_budget", row.get("model_max_budget"));
    out.put("tpm_limit", row.get("tpm_limit"));
    out.put("rpm_limit", row.get("rpm_limit"));
    out.put("max_parallel_requests", row.get("max_parallel_requests"));
    out.put("allowed_cache_controls", row.get("allowed_cache_controls"));
    out.put("allowed_routes", allowedRoutes);
    out.put("blocked", row.get("blocked"));
    out.put("budget_id", row.get("budget_id"));
    out.put("litellm_budget_table", null);
    out.put("created_by", caller.userId());
    out.put("updated_by", caller.userId());
    out.put("created_at", row.get("created_at"));
    out.put("updated_at", row.get("updated_at"));
    out.put("duration", b.get("duration"));
    out.put("tags", b.get("tags"));
    out.put("guardrails", b.get("guardrails"));
    out.put("prompts", b.get("prompts"));
    out.put("object_permission", b.get("object_permission"));
    out.put("router_settings", row.get("router_settings"));
    out.put("access_group_ids", row.get("access_group_ids"));
    out.remove("auto_rotate");
    out.remove("rotation_interval");
    out.remove("send_invite_email");
    return Answer.ok(render(out, DateStyle.ZULU, true));
  }

  private Answer authError400(String message) {
    return Answer.shapeA(400, message, "auth_error", null, nullParam);
  }

  private Answer enterpriseOnly(String field) {
    return Answer.shapeB(
        403,
        "This feature is only available for LiteLLM Enterprise users: "
            + field
            + ". You must be a LiteLLM Enterprise user to use this feature. If you have a license"
            + " please set `LITELLM_LICENSE` in your env.",
        nullParam);
  }

  private boolean aliasTaken(String alias, String exceptHash) {
    for (Map.Entry<String, Map<String, Object>> e : rows.entrySet()) {
      if (alias.equals(e.getValue().get("key_alias")) && !e.getKey().equals(exceptHash)) {
        return true;
      }
    }
    return false;
  }

  private Answer aliasTakenAnswer(String alias) {
    return Answer.shapeA(
        400,
        "Key with alias '"
            + alias
            + "' already exists. Unique key aliases across all keys are required.",
        "bad_request_error",
        "key_alias",
        nullParam);
  }

  // ------------------------------------------------------------------ /key/info (§4)

  private Answer info(Caller caller, Map<String, String> query) {
    String asPassed = query.get("key");
    String key = asPassed != null ? asPassed : caller.hash();
    String hash = hashIfNeeded(key);
    Map<String, Object> row = rows.get(hash);
    boolean archived = false;
    if (row == null) {
      // 1.106.12 falls back to the deleted-keys archive (the newest deletion of this hash).
      for (int i = deleted.size() - 1; i >= 0 && row == null; i--) {
        if (hash.equals(deleted.get(i).get("token"))) {
          row = deleted.get(i);
          archived = true;
        }
      }
    }
    if (row == null) {
      return Answer.shapeA(404, "Key not found in database", "not_found_error", "key", nullParam);
    }
    boolean allowed =
        caller.canReadAll()
            || hash.equals(caller.hash())
            || (row.get("user_id") != null && row.get("user_id").equals(caller.userId()))
            || (row.get("team_id") != null && row.get("team_id").equals(caller.teamId()));
    if (!allowed) {
      return Answer.shapeA(
          403,
          "You are not allowed to access this key's info. Your role="
              + (caller.role() == null ? "None" : caller.role()),
          "internal_server_error",
          null,
          nullParam);
    }
    Map<String, Object> info = new LinkedHashMap<>(row);
    info.remove("token");
    info.put("object_permission", null);
    Instant exp = (Instant) row.get("expires");
    info.put(
        "status",
        archived
            ? "deleted"
            : Boolean.TRUE.equals(row.get("blocked"))
                ? "revoked"
                : exp != null && exp.isBefore(now()) ? "expired" : "active");
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("key", key);
    out.put("info", render(info, DateStyle.OFFSET, false));
    return Answer.ok(out);
  }

  // ------------------------------------------------------------------ /key/delete (§5.1)

  private Answer delete(Caller caller, Map<String, Object> b) {
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
    List<String> input = strings(keys != null ? keys : aliases);
    List<String> matched = new ArrayList<>();
    if (keys != null) {
      for (String k : input) {
        String h = hashIfNeeded(k);
        if (rows.containsKey(h) && !matched.contains(h)) {
          matched.add(h);
        }
      }
    } else {
      for (Map.Entry<String, Map<String, Object>> e : rows.entrySet()) {
        if (input.contains((String) e.getValue().get("key_alias"))) {
          matched.add(e.getKey());
        }
      }
    }
    if (!caller.admin()) {
      for (String h : matched) {
        Object owner = rows.get(h).get("user_id");
        if (owner == null || !owner.equals(caller.userId())) {
          return Answer.shapeB(403, "You are not authorized to delete this key", nullParam);
        }
      }
    }
    if (matched.isEmpty()) {
      return Answer.shapeB(404, "No keys found", nullParam);
    }
    Duration linger = faults.deletePropagationDelay();
    Instant now = now();
    for (String h : matched) {
      Map<String, Object> row = rows.remove(h);
      Map<String, Object> gone = new LinkedHashMap<>(row);
      gone.put("deleted_at", now);
      gone.put("deleted_by", caller.userId());
      gone.put("deleted_by_api_key", caller.hash());
      deleted.add(gone);
      if (!linger.isZero() && !linger.isNegative()) {
        lingering.put(h, new Lingering(row, now.plus(linger)));
      }
    }
    return Answer.ok(Map.of("deleted_keys", input));
  }

  // ------------------------------------------------------------------ /key/update (§5.2)

  private Answer update(Caller caller, Map<String, Object> b) {
    Answer bad = validateTypes(b);
    if (bad != null) {
      return bad;
    }
    Object k = b.get("key");
    if (!(k instanceof String key)) {
      return Answer.unprocessable(List.of("body", "key"), "Field required", "missing");
    }
    String hash = hashIfNeeded(key);
    Map<String, Object> row = rows.get(hash);
    if (row == null) {
      // 1.106.12 (_get_and_validate_existing_key); 1.82.3 answered 401 auth_error here.
      return Answer.shapeA(404, "Key not found.", "not_found_error", "key", nullParam);
    }
    if (!caller.admin() && !Objects.equals(row.get("user_id"), caller.userId())) {
      return Answer.shapeA(
          403, "You are not authorized to update this key", "auth_error", null, nullParam);
    }
    String alias = (String) b.get("key_alias");
    if (alias != null && aliasTaken(alias, hash)) {
      return aliasTakenAnswer(alias);
    }
    Instant now = now();
    if (b.containsKey("duration")) {
      Object d = b.get("duration");
      if (d == null || "-1".equals(d)) {
        row.put("expires", null);
      } else {
        try {
          row.put("expires", plus(now, (String) d));
        } catch (IllegalArgumentException e) {
          return authError400("Authentication Error, " + e.getMessage());
        }
      }
    }
    for (Map.Entry<String, Object> e : b.entrySet()) {
      String f = e.getKey();
      if (f.equals("key") || f.equals("duration") || e.getValue() == null) {
        continue;
      }
      if (METADATA_FIELDS.contains(f)) {
        Map<String, Object> md = new LinkedHashMap<>(castMap(row.get("metadata")));
        md.put(f, e.getValue());
        row.put("metadata", md);
      } else if (row.containsKey(f) && !f.equals("token") && !f.startsWith("_")) {
        row.put(f, e.getValue());
      }
    }
    row.put("updated_at", now);
    row.put("settings_updated_at", now);
    row.put("updated_by", caller.userId());
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("key", key);
    out.putAll(render(row, DateStyle.OFFSET, false));
    return Answer.ok(out);
  }

  // ------------------------------------------------------------------ /key/block, unblock (§5.4)

  private Answer block(Caller caller, Map<String, Object> b, boolean blocked) {
    Object k = b.get("key");
    if (!(k instanceof String key)) {
      return Answer.unprocessable(List.of("body", "key"), "Field required", "missing");
    }
    if (key.length() < 3 || key.length() > 100 || !BLOCK_KEY_FORMAT.matcher(key).matches()) {
      return Answer.shapeB(400, "Invalid key format.", nullParam);
    }
    Map<String, Object> row = rows.get(hashIfNeeded(key));
    if (row == null) {
      // Without store_audit_logs the Prisma update of a missing row fails: a 500.
      return Answer.shapeB(500, "Internal Server Error.", nullParam);
    }
    row.put("blocked", blocked);
    row.put("updated_at", now());
    row.put("settings_updated_at", now());
    return Answer.ok(render(row, DateStyle.OFFSET, false));
  }

  // ------------------------------------------------------------------ /key/list (§6)

  private Answer list(Caller caller, Map<String, String> q) {
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
      return Answer.shapeA(
          400,
          "Invalid sort_by value. Must be one of " + new java.util.TreeSet<>(SORTABLE),
          "bad_request_error",
          "sort_by",
          nullParam);
    }
    String status = q.get("status");
    if (status != null && !List.of("active", "expired", "revoked", "deleted").contains(status)) {
      // 1.106.12; 1.82.3 supported only 'deleted' ("Currently only 'deleted' is supported.").
      return Answer.shapeB(
          400,
          "Invalid status value. Supported: 'active', 'expired', 'revoked', 'deleted'.",
          nullParam);
    }
    Map<String, String> filters = new LinkedHashMap<>();
    for (String f :
        List.of("user_id", "team_id", "organization_id", "project_id", "key_alias", "key_hash")) {
      if (q.get(f) != null) {
        filters.put(f.equals("key_hash") ? "token" : f, q.get(f));
      }
    }
    if (!caller.canReadAll()) {
      // validate_key_list_check: no user_id, or a user_id with no user row, is refused alike.
      if (caller.userId() == null || !userRoles.containsKey(caller.userId())) {
        return Answer.shapeA(
            403,
            "You are not authorized to access this endpoint. No 'user_id' is associated with your"
                + " API key.",
            "bad_request_error",
            "user_id",
            nullParam);
      }
      filters.put("user_id", caller.userId());
    }
    List<Map<String, Object>> source =
        new ArrayList<>("deleted".equals(status) ? deleted : rows.values());
    source.removeIf(
        r -> filters.entrySet().stream().anyMatch(f -> !f.getValue().equals(r.get(f.getKey()))));
    if (status != null && !status.equals("deleted")) {
      Instant at = now();
      source.removeIf(
          r -> {
            Instant exp = (Instant) r.get("expires");
            String s =
                Boolean.TRUE.equals(r.get("blocked"))
                    ? "revoked"
                    : exp != null && exp.isBefore(at) ? "expired" : "active";
            return !s.equals(status);
          });
    }
    Comparator<Map<String, Object>> order;
    boolean asc = "asc".equalsIgnoreCase(q.get("sort_order"));
    if (sortBy == null) {
      order =
          Comparator.<Map<String, Object>, Long>comparing(r -> (Long) r.get("_seq"))
              .thenComparing(r -> (String) r.get("token"));
      asc = false;
    } else {
      order = Comparator.comparing(r -> comparable(r.get(sortBy)), ManagementApi::compareNullable);
    }
    source.sort(asc ? order : order.reversed());
    int total = source.size();
    int from = Math.min(total, (page - 1) * size);
    int to = Math.min(total, from + size);
    boolean full = "true".equalsIgnoreCase(q.get("return_full_object"));
    List<Object> keys = new ArrayList<>();
    for (Map<String, Object> r : source.subList(from, to)) {
      if (full) {
        Map<String, Object> obj = render(r, DateStyle.OFFSET, false);
        obj.put("api_key", null);
        obj.put("user_role", null);
        obj.put("team_spend", null);
        keys.add(obj);
      } else {
        keys.add(r.get("token"));
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("keys", keys);
    out.put("total_count", total);
    out.put("current_page", page);
    out.put("total_pages", (total + size - 1) / size);
    return Answer.ok(out);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compareNullable(Comparable a, Comparable b) {
    if (a == null || b == null) {
      return a == null ? (b == null ? 0 : -1) : 1;
    }
    return a.compareTo(b);
  }

  @SuppressWarnings("rawtypes")
  private static Comparable comparable(Object v) {
    if (v instanceof Number n) {
      return n.doubleValue();
    }
    return v instanceof Comparable c ? c : v == null ? null : v.toString();
  }

  private Answer aliases(Map<String, String> q) {
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
        rows.values().stream()
            .map(r -> (String) r.get("key_alias"))
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

  // ------------------------------------------------------------------ regenerate (§5.3, §7.2)

  private Answer regenerate(Caller caller, String pathKey, Map<String, Object> b) {
    Answer bad = validateTypes(b);
    if (bad != null) {
      return bad;
    }
    String key = b.get("key") instanceof String s ? s : pathKey;
    if (key == null) {
      return Answer.unprocessable(List.of("body", "key"), "Field required", "missing");
    }
    boolean isMaster = key.equals(masterKey) || key.equals(sha256(masterKey));
    if (isMaster) {
      if (!caller.admin()) {
        return Answer.shapeB(403, "You are not authorized to regenerate this key", nullParam);
      }
      Object newMaster = b.get("new_master_key");
      if (!(newMaster instanceof String nm) || nm.isEmpty()) {
        return Answer.shapeB(400, "New master key is required.", nullParam);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("key", nm);
      out.put("token", nm);
      out.put("key_name", nm);
      out.put("expires", null);
      return Answer.ok(out);
    }
    if (!licensed) {
      return Answer.shapeA(
          500,
          "Regenerating Virtual Keys is an Enterprise feature, You must be a LiteLLM Enterprise"
              + " user to use this feature. If you have a license please set `LITELLM_LICENSE` in"
              + " your env. Get a 7 day trial key here: https://www.litellm.ai/#trial.",
          "internal_server_error",
          null,
          nullParam);
    }
    // Regenerate tests for the substring "sk", not the prefix (litellm-api.md §1).
    String oldHash = key.contains("sk") ? sha256(key) : key;
    Map<String, Object> row = rows.get(oldHash);
    if (row == null) {
      return Answer.shapeB(404, "Key " + key + " not found.", nullParam);
    }
    if (!caller.admin() && !Objects.equals(row.get("user_id"), caller.userId())) {
      return Answer.shapeB(403, "You are not authorized to regenerate this key", nullParam);
    }
    Object nk = b.get("new_key");
    if (nk instanceof String s && !s.startsWith("sk-")) {
      return Answer.shapeB(
          400,
          "New key must start with 'sk-'. This is to distinguish a key hash (used for internal"
              + " storage) from an actual key.",
          nullParam);
    }
    String alias = (String) b.get("key_alias");
    if (alias != null && aliasTaken(alias, oldHash)) {
      return aliasTakenAnswer(alias);
    }
    String newRaw = nk instanceof String s ? s : newRawKey();
    String newHash = sha256(newRaw);
    if (rows.containsKey(newHash)) {
      return Answer.shapeB(500, "Internal Server Error.", nullParam);
    }
    Instant now = now();
    Instant revokeAt = null;
    Instant expires = (Instant) row.get("expires");
    try {
      if (b.get("grace_period") != null) {
        revokeAt = plus(now, (String) b.get("grace_period"));
      }
      if (b.get("duration") != null) {
        expires = plus(now, (String) b.get("duration"));
      }
    } catch (IllegalArgumentException e) {
      return Answer.shapeB(500, "Internal Server Error.", nullParam);
    }
    Map<String, Object> gone = new LinkedHashMap<>(row);
    gone.put("deleted_at", now);
    gone.put("deleted_by", caller.userId());
    deleted.add(gone);
    if (revokeAt != null && revokeAt.isAfter(now)) {
      deprecated.put(oldHash, new Deprecated(newHash, revokeAt));
    }
    rows.remove(oldHash);
    row.put("token", newHash);
    row.put("key_name", keyName(newRaw));
    row.put("expires", expires);
    for (Map.Entry<String, Object> e : b.entrySet()) {
      String f = e.getKey();
      if (e.getValue() != null
          && row.containsKey(f)
          && !Set.of("token", "key_name", "expires", "key").contains(f)) {
        row.put(f, e.getValue());
      }
    }
    row.put("updated_at", now);
    row.put("settings_updated_at", now);
    rows.put(newHash, row);
    Map<String, Object> out = render(row, DateStyle.ZULU, false);
    out.put("key", newRaw);
    out.put("token_id", newHash);
    out.put("token", null);
    return Answer.ok(out);
  }

  // ------------------------------------------------------------------ state for tests

  /** Mints a key as the master key would, bypassing HTTP and faults; returns the raw key. */
  String createKey(Map<String, Object> body) {
    synchronized (lock) {
      Caller master =
          new Caller(true, PROXY_ADMIN, "default_user_id", MASTER_ALIAS, null, List.of());
      Answer a = generate(master, new LinkedHashMap<>(body));
      if (a.status() != 200) {
        throw new IllegalArgumentException("emulator refused the key: " + a.body());
      }
      try {
        return (String) Answer.JSON.readValue(a.body(), Map.class).get("key");
      } catch (JsonProcessingException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  List<EmulatedKey> liveKeys() {
    synchronized (lock) {
      return rows.values().stream().map(ManagementApi::snapshot).toList();
    }
  }

  List<EmulatedKey> deletedKeys() {
    synchronized (lock) {
      return deleted.stream().map(ManagementApi::snapshot).toList();
    }
  }

  void reset() {
    synchronized (lock) {
      rows.clear();
      deleted.clear();
      deprecated.clear();
      lingering.clear();
    }
  }

  private static EmulatedKey snapshot(Map<String, Object> r) {
    return new EmulatedKey(
        (String) r.get("token"),
        (String) r.get("key_alias"),
        (String) r.get("key_name"),
        strings(r.get("models")),
        Map.copyOf(castMap(r.get("metadata"))),
        (Instant) r.get("expires"),
        Boolean.TRUE.equals(r.get("blocked")),
        (String) r.get("user_id"),
        (String) r.get("team_id"),
        strings(r.get("allowed_routes")),
        (Instant) r.get("created_at"),
        render(r, DateStyle.OFFSET, false));
  }

  // ------------------------------------------------------------------ helpers

  private Instant now() {
    return clock.get();
  }

  private String newRawKey() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return "sk-" + Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  static String sha256(String raw) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(raw.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code _hash_token_if_needed}: an {@code sk-} value is hashed, anything else is a hash. */
  static String hashIfNeeded(String key) {
    return key.startsWith("sk-") ? sha256(key) : key;
  }

  static String keyName(String raw) {
    return "sk-..." + raw.substring(Math.max(0, raw.length() - 4));
  }

  /** LiteLLM's abbreviation in error messages: first four, stars, last four. */
  static String mask(String s) {
    if (s.length() <= 8) {
      return "****";
    }
    return s.substring(0, 4) + "****" + s.substring(s.length() - 4);
  }

  static boolean looksLikeHash(String s) {
    return HASH.matcher(s).matches();
  }

  /** {@code duration_in_seconds}: 30s, 30m, 30h, 30d, 2w, 1mo. */
  static Instant plus(Instant from, String duration) {
    Matcher m = DURATION.matcher(duration.trim());
    if (!m.find()) {
      // duration_in_seconds: digits with an unknown unit vs no number at all.
      throw new IllegalArgumentException(
          duration.trim().matches("^\\d+.*")
              ? "Unsupported duration unit, passed duration: " + duration
              : "Invalid duration format");
    }
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "s" -> from.plusSeconds(n);
      case "m" -> from.plus(Duration.ofMinutes(n));
      case "h" -> from.plus(Duration.ofHours(n));
      case "d" -> from.plus(Duration.ofDays(n));
      case "w" -> from.plus(Duration.ofDays(7 * n));
      case "mo" -> from.atZone(ZoneOffset.UTC).plusMonths(n).toInstant();
      default -> throw new IllegalArgumentException("Unsupported duration unit: " + duration);
    };
  }

  private static String budgetDuration(String d) {
    return switch (d) {
      case "hourly" -> "1h";
      case "daily" -> "1d";
      case "weekly" -> "7d";
      case "monthly" -> "1mo";
      default -> d;
    };
  }

  /** A copy of the row for the wire: dates as strings, internal fields dropped. */
  private static Map<String, Object> render(
      Map<String, Object> row, DateStyle style, boolean keepNullsOnly) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : row.entrySet()) {
      if (e.getKey().startsWith("_")) {
        continue;
      }
      Object v = e.getValue();
      if (v instanceof Instant i) {
        String s = MICROS.format(i);
        v = style == DateStyle.ZULU ? s + "Z" : s + "+00:00";
      }
      out.put(e.getKey(), v);
    }
    return out;
  }

  private static Object parseBody(String body) {
    if (body == null || body.isBlank()) {
      return Answer.unprocessable(List.of("body"), "Field required", "missing");
    }
    try {
      Object v = Answer.JSON.readValue(body, new TypeReference<Object>() {});
      if (!(v instanceof Map)) {
        return Answer.unprocessable(
            List.of("body"), "Input should be a valid dictionary", "model_attributes_type");
      }
      return v;
    } catch (JsonProcessingException e) {
      return Answer.unprocessable(List.of("body", 0), "JSON decode error", "json_invalid");
    }
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> castMap(Object o) {
    if (o instanceof Map<?, ?> m) {
      return new LinkedHashMap<>((Map<String, Object>) m);
    }
    return new LinkedHashMap<>();
  }

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

  private static Object number(Object o, double dflt) {
    return o instanceof Number n ? n.doubleValue() : dflt;
  }

  private static String firstNonNull(String a, String b) {
    return a != null ? a : b;
  }
}
