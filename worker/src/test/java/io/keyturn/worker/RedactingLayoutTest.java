package io.keyturn.worker;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.event.KeyValuePair;

class RedactingLayoutTest {
  static final String KEY = "sk-live-secret-value-abcdwxyz";

  static LoggingEvent event() {
    LoggerContext ctx = new LoggerContext();
    LoggingEvent e =
        new LoggingEvent(
            "x",
            ctx.getLogger("some.library"),
            Level.DEBUG,
            "sending {} to the proxy",
            new IllegalStateException("refused bearer " + KEY),
            new Object[] {"Authorization: Bearer " + KEY});
    e.setMDCPropertyMap(Map.of("WorkflowId", "rotation/svc-a/1", "header", KEY));
    e.setKeyValuePairs(List.of(new KeyValuePair("token", KEY)));
    return e;
  }

  static RedactingLayout layout(String format, String pattern) {
    RedactingLayout l = new RedactingLayout();
    l.setContext(new LoggerContext());
    l.setFormat(format);
    if (pattern != null) {
      l.setPattern(pattern);
    }
    l.start();
    return l;
  }

  @Test
  void textMasksTheMessageMdcAndExceptionText() {
    String out = layout("text", "%-5level %X{header} %msg%n%ex").doLayout(event());
    assertThat(out).doesNotContain(KEY).contains("Bearer sk-...wxyz").contains("DEBUG sk-...wxyz");
    assertThat(out).contains("refused bearer sk-...wxyz").contains("IllegalStateException");
  }

  @Test
  void textMasksAnExceptionEvenWhenThePatternDoesNotNameIt() {
    // Logback appends %ex on its own when a pattern has none.
    String out = layout("text", "%msg%n").doLayout(event());
    assertThat(out).contains("IllegalStateException").doesNotContain(KEY);
  }

  @Test
  void jsonIsOneObjectPerLineWithEveryFieldMasked() throws Exception {
    String out = layout("JSON", null).doLayout(event());
    assertThat(out.strip()).doesNotContain("\n");
    assertThat(out).doesNotContain(KEY);
    JsonNode j = new ObjectMapper().readTree(out);
    assertThat(j.get("level").asText()).isEqualTo("DEBUG");
    assertThat(j.get("logger").asText()).isEqualTo("some.library");
    assertThat(j.get("message").asText())
        .isEqualTo("sending Authorization: Bearer sk-...wxyz to the proxy");
    assertThat(j.get("WorkflowId").asText()).isEqualTo("rotation/svc-a/1");
    assertThat(j.get("header").asText()).isEqualTo("sk-...wxyz");
    assertThat(j.get("token").asText()).isEqualTo("sk-...wxyz");
    assertThat(j.get("exception").asText()).contains("refused bearer sk-...wxyz");
  }
}
