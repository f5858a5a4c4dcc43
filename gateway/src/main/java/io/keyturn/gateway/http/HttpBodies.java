package io.keyturn.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Map;

/**
 * Jackson in one place: tolerant of unknown fields, nulls written (LiteLLM reads null as unset).
 */
public final class HttpBodies {
  private HttpBodies() {}

  public static final ObjectMapper MAPPER =
      new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public static String write(Object o) {
    try {
      return MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("cannot serialize request body", e);
    }
  }

  /** Parses text; anything that is not JSON becomes a missing node rather than an exception. */
  public static JsonNode tree(String text) {
    if (text == null || text.isBlank()) {
      return MissingNode.getInstance();
    }
    try {
      return MAPPER.readTree(text);
    } catch (JsonProcessingException e) {
      return MissingNode.getInstance();
    }
  }

  public static Map<String, Object> map(JsonNode node) {
    if (node == null || !node.isObject()) {
      return Map.of();
    }
    return MAPPER.convertValue(node, new TypeReference<Map<String, Object>>() {});
  }
}
