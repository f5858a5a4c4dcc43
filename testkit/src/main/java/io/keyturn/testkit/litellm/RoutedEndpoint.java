package io.keyturn.testkit.litellm;

import java.util.List;
import java.util.Map;

/**
 * An {@link Endpoint} of the proxy's {@link KeyTable}, on fixed routes, that answers one method; a
 * {@code POST} reads a JSON body model. Subclasses add their answer, and their own routes or
 * methods where they have more.
 */
abstract class RoutedEndpoint implements Endpoint {
  /** The proxy's keys, which every endpoint reads or writes. */
  protected final KeyTable table;

  /** The proxy's error answers. */
  protected final ProxyErrors errors;

  private final String method;
  private final List<String> routes;

  RoutedEndpoint(KeyTable table, ProxyErrors errors, String method, String... routes) {
    this.table = table;
    this.errors = errors;
    this.method = method;
    this.routes = List.of(routes);
  }

  @Override
  public boolean serves(String route) {
    return routes.contains(route);
  }

  @Override
  public boolean accepts(String method) {
    return this.method.equals(method);
  }

  @Override
  public boolean readsBody() {
    return method.equals("POST");
  }

  /** The body, once each field has its JSON type; else the 422 of the first that has not. */
  static Map<String, Object> typedBody(Call call) {
    Answer bad = FieldTypes.check(call.body());
    if (bad != null) {
      throw new Refusal(bad);
    }
    return call.body();
  }

  /** The {@code key} a body must name, or the 422 of FastAPI's missing required field. */
  static String requiredKey(Map<String, Object> body) {
    if (!(body.get("key") instanceof String key)) {
      throw new Refusal(Answer.unprocessable(List.of("body", "key"), "Field required", "missing"));
    }
    return key;
  }
}
