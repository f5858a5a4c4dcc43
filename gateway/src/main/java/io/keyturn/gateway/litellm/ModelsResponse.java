package io.keyturn.gateway.litellm;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code GET /v1/models} answers (OpenAI's model list, litellm/proxy/proxy_server.py {@code
 * model_list}): the models the calling key may use.
 */
public record ModelsResponse(List<Model> data) {
  public ModelsResponse {
    data = data == null ? List.of() : List.copyOf(data);
  }

  /** One model; LiteLLM also sends {@code object}, {@code created} and {@code owned_by}. */
  public record Model(String id) {}

  /** The model ids, sorted. */
  public Set<String> ids() {
    Set<String> ids = new TreeSet<>();
    data.forEach(m -> ids.add(m.id() == null ? "" : m.id()));
    return ids;
  }
}
