package io.keyturn.worker;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.CoreConstants;
import ch.qos.logback.core.LayoutBase;
import io.keyturn.gateway.http.Redact;
import io.keyturn.worker.observe.AuditLog;
import java.time.Instant;
import java.util.Map;
import org.slf4j.event.KeyValuePair;

/**
 * The worker's log layout: text (a pattern) or one JSON object per line, chosen by {@code format}
 * ({@code KEYTURN_LOG_FORMAT=json}). Whatever the format, the finished line passes through {@link
 * Redact#keys}, so an {@code sk-...} key is masked wherever it was: in the message, an argument, an
 * MDC value, a key-value pair or an exception's text, whoever logged it.
 */
public class RedactingLayout extends LayoutBase<ILoggingEvent> {
  private String format = "text";
  private String pattern = "%d %-5level %logger - %msg%n";
  private PatternLayout text;

  public void setFormat(String format) {
    this.format = format == null || format.isBlank() ? "text" : format.trim().toLowerCase();
  }

  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  boolean json() {
    return format.equals("json");
  }

  @Override
  public void start() {
    if (!json()) {
      if (!format.equals("text")) {
        addWarn("unknown log format '" + format + "' (text or json): using text");
      }
      text = new PatternLayout();
      text.setContext(getContext());
      text.setPattern(pattern);
      text.start();
    }
    super.start();
  }

  @Override
  public void stop() {
    if (text != null) {
      text.stop();
    }
    super.stop();
  }

  @Override
  public String doLayout(ILoggingEvent event) {
    return Redact.keys(json() ? jsonLine(event) : text.doLayout(event));
  }

  private static String jsonLine(ILoggingEvent e) {
    StringBuilder sb = new StringBuilder(256).append('{');
    field(sb, "ts", Instant.ofEpochMilli(e.getTimeStamp()).toString());
    sb.append(',');
    field(sb, "level", e.getLevel().toString());
    sb.append(',');
    field(sb, "logger", e.getLoggerName());
    sb.append(',');
    field(sb, "thread", e.getThreadName());
    sb.append(',');
    field(sb, "message", e.getFormattedMessage());
    Map<String, String> mdc = e.getMDCPropertyMap();
    if (mdc != null) {
      mdc.forEach(
          (k, v) -> {
            sb.append(',');
            field(sb, k, v);
          });
    }
    if (e.getKeyValuePairs() != null) {
      for (KeyValuePair kv : e.getKeyValuePairs()) {
        sb.append(',');
        field(sb, kv.key, String.valueOf(kv.value));
      }
    }
    IThrowableProxy t = e.getThrowableProxy();
    if (t != null) {
      sb.append(',');
      field(sb, "exception", ThrowableProxyUtil.asString(t));
    }
    return sb.append('}').append(CoreConstants.LINE_SEPARATOR).toString();
  }

  private static void field(StringBuilder sb, String k, String v) {
    sb.append(AuditLog.quote(k)).append(':').append(AuditLog.quote(v == null ? "" : v));
  }
}
