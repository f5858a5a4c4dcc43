package io.keyturn.gateway.litellm;

import io.keyturn.gateway.http.JsonHttp.Reply;

/**
 * The proxy's answer to one call: the HTTP reply, and its body read as {@code T} whatever the
 * status (a body that is not {@code T}'s shape reads as an empty {@code T}: null components).
 */
public record Answer<T>(Reply reply, T body) {

  public int status() {
    return reply.status();
  }

  public boolean ok() {
    return reply.ok();
  }

  /** The answer read as one of the proxy's error shapes. */
  public ProxyError error() {
    return ProxyError.of(reply);
  }
}
