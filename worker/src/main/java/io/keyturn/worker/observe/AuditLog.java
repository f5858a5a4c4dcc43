package io.keyturn.worker.observe;

import io.keyturn.gateway.http.Redact;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail: one JSON object per line on the {@code keyturn.audit} logger, one line per
 * rotation step. Fields are ids, fingerprints and outcomes; never a key value (and the layout masks
 * any {@code sk-...} that slips in anyway).
 */
public final class AuditLog {
  public static final String LOGGER = "keyturn.audit";
  private static final Logger log = LoggerFactory.getLogger(LOGGER);

  private AuditLog() {}

  /** Writes one audit line; null values are left out. */
  public static void write(Map<String, Object> fields) {
    if (log.isInfoEnabled()) {
      log.info(json(fields));
    }
  }

  /** An ordered field map, for {@link #write}. */
  public static Map<String, Object> fields(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < kv.length; i += 2) {
      if (kv[i + 1] != null) {
        m.put((String) kv[i], kv[i + 1]);
      }
    }
    return m;
  }

  static String json(Map<String, Object> fields) {
    StringBuilder sb = new StringBuilder("{");
    fields.forEach(
        (k, v) -> {
          if (v == null) {
            return;
          }
          if (sb.length() > 1) {
            sb.append(',');
          }
          sb.append(quote(k)).append(':').append(value(v));
        });
    return sb.append('}').toString();
  }

  private static String value(Object v) {
    if (v instanceof Number || v instanceof Boolean) {
      return v.toString();
    }
    if (v instanceof List<?> l) {
      StringBuilder sb = new StringBuilder("[");
      for (Object o : l) {
        if (sb.length() > 1) {
          sb.append(',');
        }
        sb.append(value(o));
      }
      return sb.append(']').toString();
    }
    return quote(String.valueOf(v));
  }

  /** A JSON string literal, with any {@code sk-...} masked. */
  public static String quote(String s) {
    String r = Redact.keys(s);
    StringBuilder sb = new StringBuilder(r.length() + 2).append('"');
    for (int i = 0; i < r.length(); i++) {
      char c = r.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
