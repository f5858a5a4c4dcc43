package io.keyturn.testkit.litellm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The proxy's error envelopes (see {@code litellm/proxy/utils.py}, {@code
 * handle_exception_on_proxy}, and {@code ProxyException} in {@code litellm/proxy/_types.py} of
 * BerriAI/litellm), and the messages several endpoints share. {@code nullParam} renders a missing
 * {@code param} as JSON null instead of the string {@code "None"}.
 */
record ProxyErrors(boolean nullParam) {

  /**
   * Shape A: {@code {"error": {message, type, param, code}}}, {@code code} always a string; a
   * missing {@code param} is the string {@code "None"} or JSON null.
   */
  Answer shapeA(int status, String message, String type, String param) {
    Map<String, Object> err = new LinkedHashMap<>();
    err.put("message", message);
    err.put("type", type);
    err.put("param", param != null ? param : nullParam ? null : "None");
    err.put("code", String.valueOf(status));
    return Answer.json(status, Map.of("error", err));
  }

  /**
   * Shape B: an {@code HTTPException} whose detail is {@code {"error": text}}, passed through
   * {@code handle_exception_on_proxy}: the message is the Python repr of that dict.
   */
  Answer shapeB(int status, String text) {
    return shapeA(
        status, "{'error': " + Answer.pythonRepr(text) + "}", "internal_server_error", null);
  }

  /** A 401 {@code auth_error}. */
  Answer authError(String message) {
    return shapeA(401, message, "auth_error", null);
  }

  /** A 500 from a Python exception the proxy passes through as is. */
  Answer internal(int status, String message) {
    return shapeA(status, message, "internal_server_error", null);
  }

  Answer aliasTaken(String alias) {
    return shapeA(
        400,
        "Key with alias '"
            + alias
            + "' already exists. Unique key aliases across all keys are required.",
        "bad_request_error",
        "key_alias");
  }

  Answer enterpriseOnly(String field) {
    return shapeB(
        403,
        "This feature is only available for LiteLLM Enterprise users: "
            + field
            + ". You must be a LiteLLM Enterprise user to use this feature. If you have a license"
            + " please set `LITELLM_LICENSE` in your env.");
  }
}
