package io.keyturn.testkit.litellm;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One row of LiteLLM's {@code LiteLLM_VerificationTokenTable}: a virtual key, stored by the sha256
 * of its value. Fields are declared in the table's column order, which is the order {@link #toWire}
 * writes them in. Rows live in the {@link KeyTable} and change only under its lock.
 */
final class KeyRow {
  /** How a date column is written: pydantic models end in Z, dict answers in +00:00. */
  enum DateStyle {
    ZULU,
    OFFSET
  }

  private static final DateTimeFormatter MICROS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS").withZone(ZoneOffset.UTC);

  String token;
  String keyName;
  String keyAlias;
  Number spend;
  Instant expires;
  List<String> models;
  Map<String, Object> aliases;
  Map<String, Object> config;
  String userId;
  String teamId;
  String agentId;
  String projectId;
  String organizationId;
  Map<String, Object> permissions;
  Number maxParallelRequests;
  Map<String, Object> metadata;
  Boolean blocked;
  Number tpmLimit;
  Number rpmLimit;
  Number maxBudget;
  String budgetDuration;
  Instant budgetResetAt;
  List<String> allowedCacheControls;
  List<String> allowedRoutes;
  List<String> policies;
  List<String> accessGroupIds;
  Map<String, Object> modelMaxBudget;
  Map<String, Object> routerSettings;
  String budgetId;
  Instant createdAt;
  String createdBy;
  Instant updatedAt;
  String updatedBy;
  boolean autoRotate;
  String rotationInterval;
  Instant keyRotationAt;

  /** When a request made with the key was last charged (LiteLLM's spend writer sets it). */
  Instant lastActive;

  /** Set by the first update, block or regenerate; absent from the wire until then. */
  Instant settingsUpdatedAt;

  /** Creation order, for {@code /key/list}'s default sort; not a column. */
  long seq;

  KeyRow copy() {
    KeyRow c = new KeyRow();
    c.token = token;
    c.keyName = keyName;
    c.keyAlias = keyAlias;
    c.spend = spend;
    c.expires = expires;
    c.models = models;
    c.aliases = aliases;
    c.config = config;
    c.userId = userId;
    c.teamId = teamId;
    c.agentId = agentId;
    c.projectId = projectId;
    c.organizationId = organizationId;
    c.permissions = permissions;
    c.maxParallelRequests = maxParallelRequests;
    c.metadata = metadata;
    c.blocked = blocked;
    c.tpmLimit = tpmLimit;
    c.rpmLimit = rpmLimit;
    c.maxBudget = maxBudget;
    c.budgetDuration = budgetDuration;
    c.budgetResetAt = budgetResetAt;
    c.allowedCacheControls = allowedCacheControls;
    c.allowedRoutes = allowedRoutes;
    c.policies = policies;
    c.accessGroupIds = accessGroupIds;
    c.modelMaxBudget = modelMaxBudget;
    c.routerSettings = routerSettings;
    c.budgetId = budgetId;
    c.createdAt = createdAt;
    c.createdBy = createdBy;
    c.updatedAt = updatedAt;
    c.updatedBy = updatedBy;
    c.autoRotate = autoRotate;
    c.rotationInterval = rotationInterval;
    c.keyRotationAt = keyRotationAt;
    c.settingsUpdatedAt = settingsUpdatedAt;
    c.lastActive = lastActive;
    c.seq = seq;
    return c;
  }

  /** A change of the key's settings: {@code updated_at} and {@code settings_updated_at}. */
  void touch(Instant now) {
    updatedAt = now;
    settingsUpdatedAt = now;
  }

  boolean isBlocked() {
    return Boolean.TRUE.equals(blocked);
  }

  /** {@code /key/info}'s and {@code /key/list}'s status of a live key. */
  String status(Instant now) {
    return isBlocked()
        ? "revoked"
        : expires != null && expires.isBefore(now) ? "expired" : "active";
  }

  /**
   * Sets the column a request field names, as {@code /key/update} and regenerate write what the
   * caller sent (already type-checked by {@link FieldTypes}). Returns false when the field is no
   * column a request may write (pydantic drops it).
   */
  boolean write(String field, Object value) {
    switch (field) {
      case "key_alias" -> keyAlias = (String) value;
      case "spend" -> spend = (Number) value;
      case "models" -> models = FieldTypes.strings(value);
      case "aliases" -> aliases = FieldTypes.dict(value);
      case "config" -> config = FieldTypes.dict(value);
      case "user_id" -> userId = (String) value;
      case "team_id" -> teamId = (String) value;
      case "agent_id" -> agentId = (String) value;
      case "project_id" -> projectId = (String) value;
      case "organization_id" -> organizationId = (String) value;
      case "permissions" -> permissions = FieldTypes.dict(value);
      case "max_parallel_requests" -> maxParallelRequests = (Number) value;
      case "metadata" -> metadata = FieldTypes.dict(value);
      case "blocked" -> blocked = (Boolean) value;
      case "tpm_limit" -> tpmLimit = (Number) value;
      case "rpm_limit" -> rpmLimit = (Number) value;
      case "max_budget" -> maxBudget = (Number) value;
      case "budget_duration" -> budgetDuration = (String) value;
      case "allowed_cache_controls" -> allowedCacheControls = FieldTypes.strings(value);
      case "allowed_routes" -> allowedRoutes = FieldTypes.strings(value);
      case "policies" -> policies = FieldTypes.strings(value);
      case "access_group_ids" -> accessGroupIds = FieldTypes.strings(value);
      case "model_max_budget" -> modelMaxBudget = FieldTypes.dict(value);
      case "router_settings" -> routerSettings = FieldTypes.dict(value);
      case "budget_id" -> budgetId = (String) value;
      case "auto_rotate" -> autoRotate = (Boolean) value;
      case "rotation_interval" -> rotationInterval = (String) value;
      default -> {
        return false;
      }
    }
    return true;
  }

  /** The row as the proxy writes it: every column in table order, dates as strings. */
  Map<String, Object> toWire(DateStyle style) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("token", token);
    out.put("key_name", keyName);
    out.put("key_alias", keyAlias);
    out.put("soft_budget_cooldown", false);
    out.put("spend", spend);
    out.put("expires", date(expires, style));
    out.put("models", models);
    out.put("aliases", aliases);
    out.put("config", config);
    out.put("user_id", userId);
    out.put("team_id", teamId);
    out.put("agent_id", agentId);
    out.put("project_id", projectId);
    out.put("organization_id", organizationId);
    out.put("permissions", permissions);
    out.put("max_parallel_requests", maxParallelRequests);
    out.put("metadata", metadata);
    out.put("blocked", blocked);
    out.put("tpm_limit", tpmLimit);
    out.put("rpm_limit", rpmLimit);
    out.put("max_budget", maxBudget);
    out.put("budget_duration", budgetDuration);
    out.put("budget_reset_at", date(budgetResetAt, style));
    out.put("allowed_cache_controls", allowedCacheControls);
    out.put("allowed_routes", allowedRoutes);
    out.put("policies", policies);
    out.put("access_group_ids", accessGroupIds);
    out.put("model_spend", Map.of());
    out.put("model_max_budget", modelMaxBudget);
    out.put("router_settings", routerSettings);
    out.put("budget_id", budgetId);
    out.put("object_permission_id", null);
    out.put("created_at", date(createdAt, style));
    out.put("created_by", createdBy);
    out.put("updated_at", date(updatedAt, style));
    out.put("updated_by", updatedBy);
    out.put("last_active", date(lastActive, style));
    out.put("rotation_count", 0);
    out.put("auto_rotate", autoRotate);
    out.put("rotation_interval", rotationInterval);
    out.put("last_rotation_at", null);
    out.put("key_rotation_at", date(keyRotationAt, style));
    out.put("litellm_budget_table", null);
    if (settingsUpdatedAt != null) {
      out.put("settings_updated_at", date(settingsUpdatedAt, style));
    }
    return out;
  }

  /** A snapshot for tests. */
  EmulatedKey snapshot(Map<String, Object> wire) {
    return new EmulatedKey(
        token,
        keyAlias,
        keyName,
        new ArrayList<>(models),
        Map.copyOf(metadata),
        expires,
        isBlocked(),
        userId,
        teamId,
        new ArrayList<>(allowedRoutes),
        createdAt,
        wire);
  }

  static String date(Instant at, DateStyle style) {
    if (at == null) {
      return null;
    }
    String s = MICROS.format(at);
    return style == DateStyle.ZULU ? s + "Z" : s + "+00:00";
  }
}
