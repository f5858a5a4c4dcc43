package io.keyturn.testkit.litellm;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The open health probes: {@code /health/liveliness} (and its alias {@code /health/liveness}) and
 * {@code /health/readiness} ({@code litellm/proxy/health_endpoints/_health_endpoints.py} of
 * BerriAI/litellm).
 */
final class Health extends RoutedEndpoint {

  Health(KeyTable table, ProxyErrors errors) {
    super(table, errors, "GET", "/health/liveliness", "/health/liveness", "/health/readiness");
  }

  @Override
  public boolean accepts(String method) {
    return Endpoint.isGetOrHead(method);
  }

  @Override
  public boolean open() {
    return true;
  }

  @Override
  public Answer answer(Call call) {
    if (!call.route().equals("/health/readiness")) {
      return Answer.ok("I'm alive!");
    }
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("status", "healthy");
    r.put("db", table.dbConnected() ? "connected" : "disconnected");
    // 1.106.12's public probe: status and db only (1.82.3 added litellm_version, cache, ...).
    // 1.106.12 also answers 503 when the DB is down; the emulator still answers 200 until
    // GatewayCheck reads db from a 503 (docs/litellm-conformance.md, open item).
    return Answer.ok(r);
  }
}
