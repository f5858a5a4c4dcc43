package io.keyturn.testkit.litellm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /v1/models} (and {@code /models}): the proxy's models for the master key or a key with
 * no model list or {@code all-proxy-models}; otherwise the key's own models, without the special
 * names.
 */
final class ModelsList extends RoutedEndpoint {
  /** The {@code created} timestamp the proxy gives every model. */
  static final long MODEL_CREATED = 1677610602L;

  private static final Set<String> SPECIAL_MODELS =
      Set.of("all-team-models", "all-proxy-models", "no-default-models");

  private final List<String> proxyModels;

  ModelsList(KeyTable table, ProxyErrors errors, List<String> proxyModels) {
    super(table, errors, "GET", "/v1/models", "/models");
    this.proxyModels = List.copyOf(proxyModels);
  }

  @Override
  public Answer answer(Call call) {
    List<String> visible;
    if (call.caller().master()) {
      visible = proxyModels;
    } else {
      KeyRow row = table.get(call.caller().hash());
      List<String> keyModels = row == null ? List.of() : row.models;
      if (keyModels.isEmpty() || keyModels.contains("all-proxy-models")) {
        visible = proxyModels;
      } else {
        visible = keyModels.stream().filter(m -> !SPECIAL_MODELS.contains(m)).toList();
      }
    }
    List<Map<String, Object>> data = new ArrayList<>();
    for (String id : visible) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("id", id);
      m.put("object", "model");
      m.put("created", MODEL_CREATED);
      m.put("owned_by", "openai");
      data.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("data", data);
    out.put("object", "list");
    return Answer.ok(out);
  }
}
