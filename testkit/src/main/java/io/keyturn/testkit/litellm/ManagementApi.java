package io.keyturn.testkit.litellm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The management API without HTTP: finds the {@link Endpoint} for a request and runs it in the
 * proxy's order (route, method, auth, body) against one {@link KeyTable}. The emulator's endpoints
 * are listed here; a new one is a new {@link Endpoint} and one line in {@link #endpoints}.
 */
final class ManagementApi {
  private final KeyTable table;
  private final Auth auth;
  private final KeyGenerate generate;
  private final StoredSecrets secrets;
  private final List<Endpoint> endpoints;

  ManagementApi(
      String masterKey,
      List<String> proxyModels,
      boolean licensed,
      boolean nullParam,
      boolean rejectDuplicateKeys,
      Map<String, String> userRoles,
      Faults faults,
      Supplier<Instant> clock,
      StoredSecrets secrets) {
    ProxyErrors errors = new ProxyErrors(nullParam);
    this.table = new KeyTable(clock);
    this.secrets = secrets;
    this.auth = new Auth(secrets::runningMaster, userRoles, table, errors);
    this.generate = new KeyGenerate(table, errors, licensed, rejectDuplicateKeys);
    List<Endpoint> all =
        new java.util.ArrayList<>(
            List.of(
                new Health(table, errors),
                new Banner(),
                new ModelsList(table, errors, proxyModels),
                generate,
                new KeyInfo(table, errors),
                new KeyDelete(table, errors, faults),
                new KeyUpdate(table, errors),
                new KeyBlock(table, errors),
                new KeyList(table, errors, auth),
                new KeyAliases(table, errors),
                new KeyRegenerate(table, errors, auth, licensed, secrets),
                new ChatCompletions(
                    table,
                    errors,
                    new DeploymentEndpoints.ChatCompletions(table, errors, secrets))));
    all.addAll(StoredSecretsEndpoints.all(table, errors, secrets));
    all.addAll(DeploymentEndpoints.all(table, errors, secrets));
    this.endpoints = List.copyOf(all);
  }

  /**
   * Answers one request. {@code header} looks a header up case-insensitively; {@code query} holds
   * decoded query parameters.
   */
  Answer handle(
      String method,
      String route,
      Map<String, String> query,
      Function<String, String> header,
      String body) {
    Endpoint endpoint = endpoints.stream().filter(e -> e.serves(route)).findFirst().orElse(null);
    if (endpoint == null) {
      return Answer.detail(404, "Not Found");
    }
    if (!endpoint.accepts(method)) {
      return Answer.detail(405, "Method Not Allowed");
    }
    if (endpoint.open()) {
      return endpoint.answer(new Endpoint.Call(method, route, query, null, null));
    }
    try {
      Caller caller = auth.authenticate(route, header);
      Map<String, Object> json = endpoint.readsBody() ? parseBody(body) : null;
      Endpoint.Call call = new Endpoint.Call(method, route, query, caller, json);
      return table.locked(() -> endpoint.answer(call));
    } catch (Refusal r) {
      return r.answer();
    }
  }

  /** FastAPI's reading of a JSON body model: present, JSON, and an object. */
  private static Map<String, Object> parseBody(String body) {
    if (body == null || body.isBlank()) {
      throw new Refusal(Answer.unprocessable(List.of("body"), "Field required", "missing"));
    }
    Object v;
    try {
      v = Answer.JSON.readValue(body, new TypeReference<Object>() {});
    } catch (JsonProcessingException e) {
      throw new Refusal(
          Answer.unprocessable(List.of("body", 0), "JSON decode error", "json_invalid"));
    }
    if (!(v instanceof Map)) {
      throw new Refusal(
          Answer.unprocessable(
              List.of("body"), "Input should be a valid dictionary", "model_attributes_type"));
    }
    return FieldTypes.dict(v);
  }

  // ------------------------------------------------------------------ state for tests

  /** Mints a key as the master key would, bypassing HTTP and faults; returns the raw key. */
  String createKey(Map<String, Object> body) {
    return generate.mint(body);
  }

  List<EmulatedKey> liveKeys() {
    return table.liveKeys();
  }

  List<EmulatedKey> deletedKeys() {
    return table.deletedKeys();
  }

  void dbConnected(boolean connected) {
    table.dbConnected(connected);
  }

  StoredSecrets secrets() {
    return secrets;
  }

  void reset() {
    table.reset();
  }
}
