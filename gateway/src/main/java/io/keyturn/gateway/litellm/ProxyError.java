package io.keyturn.gateway.litellm;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.gateway.http.HttpBodies;
import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.gateway.http.Redact;
import io.keyturn.workflows.RotationFailures;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;

/**
 * One typed view of the LiteLLM proxy's three error shapes: the OpenAI-style {@code {"error":
 * {...}}} of a {@code ProxyException} (litellm/proxy/_types.py, written by {@code
 * openai_exception_handler} in litellm/proxy/proxy_server.py), the same with a Python-dict message,
 * and FastAPI's {@code {"detail": ...}} of an {@code HTTPException} or a request validation error;
 * and its classification into Keyturn's named failures, with a message for the operator. Messages
 * are passed through {@link Redact#keys} so no key value from the proxy travels on.
 */
public record ProxyError(int status, String message, String type, String param, String retryAfter) {

  /** Maximum delay honoured from a Retry-After header. */
  static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);

  public static ProxyError of(Reply reply) {
    JsonNode root = HttpBodies.tree(reply.body());
    String message;
    String type = null;
    String param = null;
    JsonNode error = root.path("error");
    if (error.isObject()) {
      message = text(error.path("message"));
      type = error.path("type").isTextual() ? error.path("type").asText() : null;
      param = error.path("param").isTextual() ? error.path("param").asText() : null;
    } else if (error.isTextual()) {
      message = error.asText();
    } else if (root.has("detail")) {
      JsonNode d = root.path("detail");
      if (d.isArray()) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode item : d) {
          if (sb.length() > 0) {
            sb.append("; ");
          }
          sb.append(item.path("loc").toString()).append(": ").append(text(item.path("msg")));
        }
        message = sb.toString();
      } else {
        message = text(d);
      }
    } else {
      String body = reply.body() == null ? "" : reply.body().strip();
      message = body.length() > 300 ? body.substring(0, 300) + "…" : body;
    }
    return new ProxyError(reply.status(), Redact.keys(message), type, param, reply.retryAfter());
  }

  private static String text(JsonNode n) {
    return n.isTextual() ? n.asText() : n.toString();
  }

  /** LiteLLM 1.82 answers an expired key with 400 {@code expired_key}, 1.106 with 401. */
  public boolean expiredKey() {
    return status == 400 && "expired_key".equals(type);
  }

  public boolean mentions(String fragment) {
    return message != null && message.toLowerCase().contains(fragment.toLowerCase());
  }

  /**
   * Turns this error into the failure an activity throws: retryable for throttling, overload and
   * server errors (429 honouring Retry-After), non-retryable with an operator-facing message for
   * everything a retry cannot fix.
   */
  public ApplicationFailure toFailure(String gateway, String operation) {
    String what = operation + " at LiteLLM " + gateway + " answered " + status;
    String detail = (type == null ? "" : " " + type) + ": " + message;
    if (status == 429) {
      Duration delay = retryDelay();
      return ApplicationFailure.newBuilder()
          .setMessage(
              what
                  + detail
                  + " (throttled; retrying"
                  + (delay == null ? "" : " after " + delay.toSeconds() + "s")
                  + ")")
          .setType(RotationFailures.TRANSIENT)
          .setNextRetryDelay(delay)
          .build();
    }
    // Enterprise-only policy fields: 403 for most, but a 500 for model_max_budget (LiteLLM 1.82
    // and 1.106 alike); retrying cannot help either way.
    if ((status == 403 && mentions("only available for LiteLLM Enterprise"))
        || (status >= 500 && mentions("enterprise license to set"))) {
      return nonRetryable(
          RotationFailures.GATEWAY_UNSUPPORTED,
          what
              + detail
              + ". The policy uses a field only LiteLLM Enterprise accepts: remove that field from"
              + " the key's policy, or license the proxy (LITELLM_LICENSE).");
    }
    if (status >= 500 && mentions("enterprise")) {
      return nonRetryable(
          RotationFailures.GATEWAY_UNSUPPORTED,
          what
              + detail
              + ". This needs LiteLLM Enterprise; Keyturn's rotation does not, so this is a bug"
              + " or an unexpected proxy setting: report it.");
    }
    if (status >= 500) {
      return ApplicationFailure.newFailure(
          what + detail + " (server error; retrying)", RotationFailures.TRANSIENT);
    }
    if (notProxyAdmin()) {
      return nonRetryable(
          RotationFailures.GATEWAY_FORBIDDEN,
          what
              + detail
              + ". The management key was not minted under a proxy_admin user, so it may not change"
              + " keys it did not mint: create the user with user_role \"proxy_admin\" (POST"
              + " /user/new) and re-mint the management key under it.");
    }
    if (status == 401 || expiredKey()) {
      return nonRetryable(
          RotationFailures.GATEWAY_UNAUTHORIZED,
          what
              + detail
              + ". The proxy refused the management key: check LITELLM_MASTER_KEY (or"
              + " LITELLM_MASTER_KEY_FILE) on the worker; the key must exist at this proxy and be"
              + " neither expired nor blocked.");
    }
    if (status == 403 && mentions("not allowed to call this route")) {
      return nonRetryable(
          RotationFailures.GATEWAY_FORBIDDEN,
          what
              + detail
              + ". The management key's allowed_routes are missing a route Keyturn needs: re-mint it"
              + " with allowed_routes "
              + GatewayCheck.REQUIRED_ROUTES
              + " under a proxy_admin user, or use the master key. `keyturn gateway check` names"
              + " every route that is missing.");
    }
    if (status == 403) {
      return nonRetryable(
          RotationFailures.GATEWAY_FORBIDDEN,
          what + detail + ". The management key lacks a permission Keyturn needs.");
    }
    return nonRetryable(
        RotationFailures.GATEWAY_BAD_REQUEST,
        what + detail + (param == null || "None".equals(param) ? "" : " (field: " + param + ")"));
  }

  /**
   * LiteLLM's answers to a management key that is not a proxy_admin's, as its code words them (1.82
   * and 1.106 alike): a key with no user gets 401 "Only proxy admin can be used to ..."; an
   * internal_user's key gets 403 "User can only create keys for themselves", "You are not allowed
   * to access this key's info" or "You are not authorized to delete this key".
   */
  boolean notProxyAdmin() {
    return (status == 401 && mentions("only proxy admin"))
        || (status == 403
            && (mentions("not authorized")
                || mentions("create keys for themselves")
                || mentions("not allowed to access this key")));
  }

  Duration retryDelay() {
    if (retryAfter == null) {
      return null;
    }
    try {
      long s = Long.parseLong(retryAfter.trim());
      Duration d = Duration.ofSeconds(Math.max(1, s));
      return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  public static ApplicationFailure nonRetryable(String type, String message) {
    return ApplicationFailure.newBuilder()
        .setMessage(message)
        .setType(type)
        .setNonRetryable(true)
        .build();
  }
}
