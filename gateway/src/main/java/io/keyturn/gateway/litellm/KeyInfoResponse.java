package io.keyturn.gateway.litellm;

/**
 * What {@code GET /key/info} answers: the key asked about (as given, or null when the caller's own
 * key describes itself) and its row
 * (litellm/proxy/management_endpoints/key_management_endpoints.py, {@code info_key_fn}).
 */
public record KeyInfoResponse(String key, KeyInfo info) {
  public KeyInfoResponse {
    info = info == null ? KeyInfo.NONE : info;
  }
}
