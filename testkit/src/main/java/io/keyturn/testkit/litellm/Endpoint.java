package io.keyturn.testkit.litellm;

import java.util.Map;

/**
 * One endpoint of the emulated proxy (or a few that share their code, such as {@code /key/block}
 * and {@code /key/unblock}). {@link ManagementApi} finds the endpoint that serves a route, answers
 * 405 for a method it does not accept, authenticates the caller and parses the body unless the
 * endpoint is {@link #open}, then calls {@link #answer} holding the {@link KeyTable}'s lock. A new
 * endpoint is a new implementation added to {@link ManagementApi}'s list.
 */
interface Endpoint {
  /** Whether this endpoint serves {@code route} (a path, no query). */
  boolean serves(String route);

  /** Whether it answers {@code method}; another method on its route gets 405. */
  boolean accepts(String method);

  /** Whether it answers without a key (health probes); then it gets no caller and no body. */
  default boolean open() {
    return false;
  }

  /** Whether the request carries a JSON object body (a FastAPI body model). */
  default boolean readsBody() {
    return false;
  }

  Answer answer(Call call);

  /**
   * One request as an endpoint sees it: {@code query} decoded, {@code caller} null for an open
   * endpoint, {@code body} null unless the endpoint {@link #readsBody reads one}.
   */
  record Call(
      String method,
      String route,
      Map<String, String> query,
      Caller caller,
      Map<String, Object> body) {}

  static boolean isGetOrHead(String method) {
    return method.equals("GET") || method.equals("HEAD");
  }
}
