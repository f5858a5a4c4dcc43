package io.keyturn.testkit.litellm;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /key/generate} ({@code generate_key_fn} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm): type checks,
 * the DB, budgets, who may mint for whom, Enterprise-only fields, {@code key_type}'s route groups,
 * a unique alias, a custom key value, durations, then the row and the {@code GenerateKeyResponse}.
 */
final class KeyGenerate extends RoutedEndpoint {
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

  private final boolean licensed;
  private final boolean rejectDuplicateKeys;

  KeyGenerate(KeyTable table, ProxyErrors errors, boolean licensed, boolean rejectDuplicateKeys) {
    super(table, errors, "POST", "/key/generate");
    this.licensed = licensed;
    this.rejectDuplicateKeys = rejectDuplicateKeys;
  }

  /** Mints a key as the master key would, without HTTP or faults; returns its raw value. */
  String mint(Map<String, Object> body) {
    return table.locked(
        () -> {
          Answer a = generate(Caller.masterKey(), new LinkedHashMap<>(body));
          if (a.status() != 200) {
            throw new IllegalArgumentException("emulator refused the key: " + a.body());
          }
          try {
            return (String) Answer.JSON.readValue(a.body(), Map.class).get("key");
          } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  @Override
  public Answer answer(Call call) {
    return generate(call.caller(), call.body());
  }

  private Answer generate(Caller caller, Map<String, Object> b) {
    Answer bad = FieldTypes.check(b);
    if (bad != null) {
      return bad;
    }
    if (!table.dbConnected()) {
      return errors.shapeB(
          500, "DB not connected. See https://docs.litellm.ai/docs/proxy/virtual_keys");
    }
    for (String f : List.of("max_budget", "soft_budget")) {
      if (b.get(f) instanceof Number n
          && (n.doubleValue() < 0 || !Double.isFinite(n.doubleValue()))) {
        return errors.shapeB(400, f + " must be a non-negative finite number. Received: " + n);
      }
    }
    String userId = (String) b.get("user_id");
    if (!caller.admin()) {
      if (userId != null && !userId.equals(caller.userId())) {
        // An AssertionError turned into HTTPException(403, detail=str): a plain message.
        return errors.internal(
            403,
            "User can only create keys for themselves. Got user_id="
                + userId
                + ", Your ID="
                + caller.userId());
      }
      userId = caller.userId();
    }
    Answer unlicensed = licensed ? null : enterpriseOnly(b);
    if (unlicensed != null) {
      return unlicensed;
    }
    List<String> allowedRoutes = FieldTypes.strings(b.get("allowed_routes"));
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
    if (alias != null && table.aliasTaken(alias, null)) {
      return errors.aliasTaken(alias);
    }
    String raw = (String) b.get("key");
    if (raw != null && !raw.startsWith("sk-")) {
      return errors.shapeB(
          400,
          "Invalid key format. LiteLLM Virtual Key must start with 'sk-'. Received: "
              + VirtualKeys.mask(raw));
    }
    Instant now = table.now();
    Instant expires;
    Instant budgetResetAt;
    Instant keyRotationAt = null;
    try {
      expires =
          b.get("duration") == null ? null : LiteLlmDurations.plus(now, (String) b.get("duration"));
      budgetResetAt =
          b.get("budget_duration") == null
              ? null
              : LiteLlmDurations.plusBudget(now, (String) b.get("budget_duration"));
      if (b.get("rotation_interval") != null) {
        keyRotationAt = LiteLlmDurations.plus(now, (String) b.get("rotation_interval"));
      }
    } catch (IllegalArgumentException e) {
      // generate_key_fn passes the ValueError through handle_exception_on_proxy: a 500.
      return errors.internal(500, e.getMessage());
    }
    if (raw == null) {
      raw = VirtualKeys.mint();
    }
    String hash = VirtualKeys.sha256(raw);
    KeyRow existing = table.get(hash);
    if (existing != null && rejectDuplicateKeys) {
      return errors.shapeB(400, "Key with this value already exists. Use a different key.");
    }

    Map<String, Object> metadata = FieldTypes.dict(b.get("metadata"));
    for (String f : FieldTypes.METADATA_FIELDS) {
      if (b.get(f) != null) {
        metadata.put(f, b.get(f));
      }
    }
    boolean rotating = b.get("rotation_interval") != null;
    KeyRow row = new KeyRow();
    row.token = hash;
    row.keyName = VirtualKeys.keyName(raw);
    row.keyAlias = alias;
    row.spend = b.get("spend") instanceof Number n ? n.doubleValue() : 0.0;
    row.expires = expires;
    row.models = FieldTypes.strings(b.get("models"));
    row.aliases = FieldTypes.dict(b.get("aliases"));
    row.config = FieldTypes.dict(b.get("config"));
    row.userId = userId;
    row.teamId = (String) b.get("team_id");
    row.agentId = (String) b.get("agent_id");
    row.projectId = (String) b.get("project_id");
    row.organizationId = (String) b.get("organization_id");
    row.permissions = FieldTypes.dict(b.get("permissions"));
    row.maxParallelRequests = (Number) b.get("max_parallel_requests");
    row.metadata = metadata;
    row.blocked = (Boolean) b.get("blocked");
    row.tpmLimit = (Number) b.get("tpm_limit");
    row.rpmLimit = (Number) b.get("rpm_limit");
    row.maxBudget = (Number) b.get("max_budget");
    row.budgetDuration = (String) b.get("budget_duration");
    row.budgetResetAt = budgetResetAt;
    row.allowedCacheControls = FieldTypes.strings(b.get("allowed_cache_controls"));
    row.allowedRoutes = allowedRoutes;
    row.policies = b.get("policies") == null ? null : FieldTypes.strings(b.get("policies"));
    row.accessGroupIds = FieldTypes.strings(b.get("access_group_ids"));
    row.modelMaxBudget = FieldTypes.dict(b.get("model_max_budget"));
    row.routerSettings = FieldTypes.dict(b.get("router_settings"));
    row.budgetId = (String) b.get("budget_id");
    row.createdAt = now;
    row.createdBy = caller.userId();
    row.updatedAt = now;
    row.updatedBy = caller.userId();
    row.autoRotate = rotating && Boolean.TRUE.equals(b.get("auto_rotate"));
    row.rotationInterval = rotating ? (String) b.get("rotation_interval") : null;
    row.keyRotationAt = keyRotationAt;
    row.seq = table.nextSequence();
    if (existing == null) {
      table.put(row);
    } else {
      // PrismaClient.insert_data (litellm/proxy/utils.py) upserts with update: {}: nothing is
      // written, and the answer carries the old row's dates (conformance case
      // duplicateCustomKeySilent).
      row.createdAt = existing.createdAt;
      row.updatedAt = existing.updatedAt;
    }
    return Answer.ok(response(b, raw, row));
  }

  /** The first Enterprise-only field set on an unlicensed proxy, as its refusal; or null. */
  private Answer enterpriseOnly(Map<String, Object> b) {
    for (String f : FieldTypes.PREMIUM_FIELDS) {
      if (b.get(f) != null) {
        return errors.enterpriseOnly(f);
      }
    }
    if (b.get("model_max_budget") instanceof Map<?, ?> m && !m.isEmpty()) {
      // validate_model_max_budget raises a ValueError: a 500, not the 403 of the other fields.
      return errors.internal(
          500,
          "Invalid model_max_budget: You must have an enterprise license to set"
              + " model_max_budget. You must be a LiteLLM Enterprise user to use this feature."
              + " If you have a license please set `LITELLM_LICENSE` in your env. Example of"
              + " valid model_max_budget: https://docs.litellm.ai/docs/proxy/users");
    }
    if (b.get("permissions") instanceof Map<?, ?> p && p.containsKey("get_spend_routes")) {
      return errors.enterpriseOnly("get_spend_routes");
    }
    return null;
  }

  /**
   * {@code GenerateKeyResponse}: it declares the KeyRequestBase fields only, so anything else the
   * caller sent (unknown fields, soft_budget, key_type, ...) is dropped by pydantic.
   */
  private static Map<String, Object> response(Map<String, Object> b, String raw, KeyRow row) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : b.entrySet()) {
      if (RESPONSE_REQUEST_FIELDS.contains(e.getKey())) {
        out.put(e.getKey(), e.getValue());
      }
    }
    KeyRow.DateStyle z = KeyRow.DateStyle.ZULU;
    out.put("key", raw);
    out.put("token", row.token);
    out.put("token_id", row.token);
    out.put("key_name", row.keyName);
    out.put("key_alias", row.keyAlias);
    out.put("expires", KeyRow.date(row.expires, z));
    out.put("models", row.models);
    out.put("spend", row.spend);
    out.put("max_budget", row.maxBudget);
    out.put("budget_duration", row.budgetDuration);
    out.put("user_id", row.userId);
    out.put("team_id", row.teamId);
    out.put("agent_id", row.agentId);
    out.put("organization_id", row.organizationId);
    out.put("project_id", row.projectId);
    out.put("metadata", row.metadata);
    out.put("aliases", row.aliases);
    out.put("config", row.config);
    out.put("permissions", row.permissions);
    out.put("model_max_budget", row.modelMaxBudget);
    out.put("tpm_limit", row.tpmLimit);
    out.put("rpm_limit", row.rpmLimit);
    out.put("max_parallel_requests", row.maxParallelRequests);
    out.put("allowed_cache_controls", row.allowedCacheControls);
    out.put("allowed_routes", row.allowedRoutes);
    out.put("blocked", row.blocked);
    out.put("budget_id", row.budgetId);
    out.put("litellm_budget_table", null);
    out.put("created_by", row.createdBy);
    out.put("updated_by", row.updatedBy);
    out.put("created_at", KeyRow.date(row.createdAt, z));
    out.put("updated_at", KeyRow.date(row.updatedAt, z));
    out.put("duration", b.get("duration"));
    out.put("tags", b.get("tags"));
    out.put("guardrails", b.get("guardrails"));
    out.put("prompts", b.get("prompts"));
    out.put("object_permission", b.get("object_permission"));
    out.put("router_settings", row.routerSettings);
    out.put("access_group_ids", row.accessGroupIds);
    return out;
  }
}
