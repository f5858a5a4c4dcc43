package io.keyturn.testkit.litellm;

import java.util.List;
import java.util.Objects;

/**
 * Who is calling, as LiteLLM's {@code UserAPIKeyAuth} would say: the master key, or a virtual key
 * with its owner's role, its hash and its route limits.
 */
record Caller(
    boolean master,
    String role,
    String userId,
    String hash,
    String teamId,
    List<String> allowedRoutes) {
  static final String MASTER_ALIAS = "litellm-proxy-master-key";
  static final String PROXY_ADMIN = "proxy_admin";
  static final String PROXY_ADMIN_VIEWER = "proxy_admin_viewer";
  static final String INTERNAL_USER = "internal_user";

  /** The master key: a proxy admin acting as {@code default_user_id}. */
  static Caller masterKey() {
    return new Caller(true, PROXY_ADMIN, "default_user_id", MASTER_ALIAS, null, List.of());
  }

  boolean admin() {
    return PROXY_ADMIN.equals(role);
  }

  boolean canReadAll() {
    return admin() || PROXY_ADMIN_VIEWER.equals(role);
  }

  /** Whether it may change {@code row}: a proxy admin, or the key's own user. */
  boolean mayChange(KeyRow row) {
    return admin() || Objects.equals(row.userId, userId);
  }

  /** The role as the proxy prints it in messages. */
  String roleText() {
    return role == null ? "None" : role;
  }
}
