package io.keyturn.workflows.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The policy a minted key carries: the {@code /key/generate} fields copied from the key being
 * replaced (models, budgets, limits, metadata, team and user, ...). Fields Keyturn owns are never
 * part of a policy; see {@link #OWNED_FIELDS}.
 */
public record KeyPolicy(Map<String, Object> fields) {

  /**
   * Fields Keyturn always sets itself (or must never copy): identity, lifetime, LiteLLM's own
   * rotation, spend and audit columns.
   */
  public static final Set<String> OWNED_FIELDS =
      Set.of(
          "key",
          "token",
          "token_id",
          "key_alias",
          "key_name",
          "duration",
          "expires",
          "auto_rotate",
          "rotation_interval",
          "key_rotation_at",
          "last_rotation_at",
          "rotation_count",
          "spend",
          "model_spend",
          "created_at",
          "created_by",
          "updated_at",
          "updated_by",
          "last_active",
          "settings_updated_at",
          "budget_reset_at",
          "soft_budget_cooldown",
          "send_invite_email",
          "key_type",
          "litellm_budget_table",
          "litellm_organization_table",
          "litellm_project_table",
          "jwt_key_mappings",
          "object_permission_id",
          "user_api_key_auth",
          "deleted_at");

  public KeyPolicy {
    Map<String, Object> copy = new LinkedHashMap<>();
    if (fields != null) {
      fields.forEach(
          (k, v) -> {
            if (!OWNED_FIELDS.contains(k) && v != null) {
              copy.put(k, v);
            }
          });
    }
    fields = Collections.unmodifiableMap(copy);
  }

  public static KeyPolicy empty() {
    return new KeyPolicy(Map.of());
  }

  /** The model allow-list; empty means every model the proxy (and team) allows. */
  @SuppressWarnings("unchecked")
  public List<String> models() {
    Object m = fields.get("models");
    return m instanceof List<?> l ? (List<String>) l : List.of();
  }
}
