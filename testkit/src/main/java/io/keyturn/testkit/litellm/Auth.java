package io.keyturn.testkit.litellm;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The proxy's authentication and route checks, in its order ({@code user_api_key_auth} in {@code
 * litellm/proxy/auth/user_api_key_auth.py} and {@code litellm/proxy/auth/route_checks.py} of
 * BerriAI/litellm): where the key is read from, the master key, a virtual key's row (blocked,
 * expired), its {@code allowed_routes}, and the roles that may write keys.
 */
final class Auth {
  private final java.util.function.Supplier<String> masterKey;
  private final Map<String, String> userRoles;
  private final KeyTable table;
  private final ProxyErrors errors;

  /**
   * {@code masterKey}: the running process's master key (it changes when the emulated process
   * restarts); {@code userRoles}: user id to role; a user not named is an internal user.
   */
  Auth(
      java.util.function.Supplier<String> masterKey,
      Map<String, String> userRoles,
      KeyTable table,
      ProxyErrors errors) {
    this.masterKey = masterKey;
    this.userRoles = userRoles;
    this.table = table;
    this.errors = errors;
  }

  /** Whether {@code key} (a value or its hash) is the master key. */
  boolean isMasterKey(String key) {
    String master = masterKey.get();
    return key.equals(master) || key.equals(VirtualKeys.sha256(master));
  }

  /** Whether a user row exists for {@code userId}. */
  boolean hasUser(String userId) {
    return userRoles.containsKey(userId);
  }

  /**
   * The caller of {@code route}; {@code header} looks a header up case-insensitively.
   *
   * @throws Refusal with the proxy's answer when the key is missing, unknown, blocked, expired, not
   *     allowed on the route, or may not write keys
   */
  Caller authenticate(String route, Function<String, String> header) {
    String key = presentedKey(header);
    if (key == null || key.isEmpty()) {
      throw refuse("Authentication Error, No api key passed in.");
    }
    if (MessageDigest.isEqual(
        key.getBytes(StandardCharsets.UTF_8), masterKey.get().getBytes(StandardCharsets.UTF_8))) {
      return Caller.masterKey();
    }
    if (!key.startsWith("sk-")) {
      throw refuse(
          "Authentication Error, LiteLLM Virtual Key expected. Received="
              + VirtualKeys.mask(key)
              + ", expected to start with 'sk-'.");
    }
    String hash = VirtualKeys.sha256(key);
    KeyTable.Presented presented = table.present(hash);
    if (presented == null) {
      throw new Refusal(
          errors.shapeA(
              401,
              "Authentication Error, Invalid proxy server token passed. Unable to find token in"
                  + " cache or `LiteLLM_VerificationTokenTable`",
              "token_not_found_in_db",
              "key"));
    }
    KeyRow row = presented.row();
    if (row.isBlocked()) {
      throw refuse(
          "Authentication Error, Key is blocked. Update via `/key/unblock` if you're an admin.");
    }
    if (row.expires != null && !row.expires.isAfter(table.now())) {
      throw new Refusal(
          errors.shapeA(
              401,
              "Authentication Error - Expired Key. Key Expiry time "
                  + row.expires
                  + " and current time "
                  + table.now(),
              "expired_key",
              "sk-..." + hash.substring(hash.length() - 4)));
    }
    String userId = row.userId;
    String role = userId == null ? null : userRoles.getOrDefault(userId, Caller.INTERNAL_USER);
    List<String> allowed = row.allowedRoutes;
    if (!Routes.allowed(allowed, route)) {
      throw new Refusal(Answer.detail(403, Routes.denial(allowed, route)));
    }
    if (Routes.KEY_WRITE_ROUTES.contains(route) || route.endsWith("/regenerate")) {
      if (role == null || Caller.PROXY_ADMIN_VIEWER.equals(role)) {
        throw refuse(
            "Authentication Error, Only proxy admin can be used to generate, delete, update info"
                + " for new keys/users/teams. Route="
                + route
                + ". Your role="
                + (role == null ? "None" : role)
                + ". Your user_id="
                + (userId == null ? "None" : userId));
      }
    }
    return new Caller(false, role, userId, presented.hash(), row.teamId, allowed);
  }

  /**
   * The key from {@code x-litellm-api-key}, {@code Authorization}, {@code API-Key} or {@code
   * x-api-key}.
   */
  private String presentedKey(Function<String, String> header) {
    String x = header.apply("x-litellm-api-key");
    if (x != null) {
      return x.startsWith("Bearer ") || x.startsWith("bearer ") ? x.substring(7).trim() : x.trim();
    }
    String auth = header.apply("Authorization");
    if (auth == null) {
      String apiKey = header.apply("API-Key");
      return apiKey != null ? apiKey : header.apply("x-api-key");
    }
    if (auth.startsWith("Bearer ") || auth.startsWith("bearer ")) {
      return auth.substring(7).trim();
    }
    if (auth.startsWith("Basic ")) {
      return auth.substring(6).trim();
    }
    throw refuse(
        "Authentication Error, Malformed API Key passed in. Ensure Key has `Bearer ` prefix.");
  }

  private Refusal refuse(String message) {
    return new Refusal(errors.authError(message));
  }
}
