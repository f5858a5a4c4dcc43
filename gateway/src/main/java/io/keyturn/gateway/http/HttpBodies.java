package io.keyturn.gateway.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Map;

/**
 * The request and response bodies of the HTTP APIs Keyturn calls (LiteLLM's management API,
 * Vault's): written with nulls kept (LiteLLM reads an explicit null as "unset this"), read
 * tolerantly (unknown fields ignored; a body that is not JSON reads as nothing rather than
 * throwing, since error answers come from proxies and load balancers too).
 */
public final class HttpBodies {
  private HttpBodies() {}

  public static final ObjectMapper MAPPER =
      new ObjectMapper()
          .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
          .configure(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY, true);

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

  /**
   * Reads a body as {@code type} (a record of the fields the caller reads); a body that is not a
   * JSON object of that shape reads as an empty one (every component null, false or empty).
   */
  public static <T> T read(String text, Class<T> type) {
    JsonNode node = tree(text);
    if (node.isObject()) {
      try {
        return MAPPER.treeToValue(node, type);
      } catch (JsonProcessingException | IllegalArgumentException e) {
        // not this shape: read as empty below
      }
    }
    try {
      return MAPPER.treeToValue(MAPPER.createObjectNode(), type);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot read an empty " + type.getSimpleName(), e);
    }
  }

  public static Map<String, Object> map(JsonNode node) {
    if (node == null || !node.isObject()) {
      return Map.of();
    }
    return MAPPER.convertValue(node, new TypeReference<Map<String, Object>>() {});
  }
}
