package io.keyturn.worker;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import io.keyturn.activities.http.Redact;

/**
 * Logback's {@code %msg} with every {@code sk-...} token masked to its last four characters, so a
 * key that reaches a log line by mistake (from any library) is never written whole.
 */
public class RedactingMessageConverter extends MessageConverter {
  @Override
  public String convert(ILoggingEvent event) {
    return Redact.keys(super.convert(event));
  }
}
