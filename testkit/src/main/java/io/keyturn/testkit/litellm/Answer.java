package io.keyturn.testkit.litellm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One HTTP answer of the emulator: status, JSON body text and extra headers. */
record Answer(int status, String body, Map<String, String> headers) {
  static final ObjectMapper JSON =
      new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

  static Answer json(int status, Object value) {
    return new Answer(status, write(value), Map.of());
  }

  static Answer ok(Object value) {
    return json(200, value);
  }

  Answer withHeader(String name, String value) {
    Map<String, String> h = new LinkedHashMap<>(headers);
    h.put(name, value);
    return new Answer(status, body, h);
  }

  static String write(Object value) {
    try {
      return JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  // ------------------------------------------------------------------ FastAPI's own shapes

  /** Shape C: FastAPI's {@code {"detail": "..."}}. */
  static Answer detail(int status, String text) {
    return json(status, Map.of("detail", text));
  }

  /** FastAPI's 422 body for a request that fails validation. */
  static Answer unprocessable(List<Object> loc, String msg, String type) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("type", type);
    item.put("loc", loc);
    item.put("msg", msg);
    item.put("input", null);
    return json(422, Map.of("detail", List.of(item)));
  }

  /** Python's repr of a str: single quotes unless the text holds a ' and no ". */
  static String pythonRepr(String s) {
    boolean useDouble = s.indexOf('\'') >= 0 && s.indexOf('"') < 0;
    char q = useDouble ? '"' : '\'';
    StringBuilder sb = new StringBuilder().append(q);
    for (char c : s.toCharArray()) {
      if (c == '\\') {
        sb.append("\\\\");
      } else if (c == q) {
        sb.append('\\').append(c);
      } else if (c == '\n') {
        sb.append("\\n");
      } else {
        sb.append(c);
      }
    }
    return sb.append(q).toString();
  }

  /** Python's repr of a list of str, as in the route-denial message. */
  static String pythonRepr(List<String> items) {
    StringBuilder sb = new StringBuilder("[");
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(pythonRepr(items.get(i)));
    }
    return sb.append(']').toString();
  }
}
