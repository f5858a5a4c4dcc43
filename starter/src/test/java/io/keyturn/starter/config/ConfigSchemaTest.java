package io.keyturn.starter.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The schema words its own rules, and the records read every field it allows. */
class ConfigSchemaTest {
  static final JsonNode TREE = ConfigSchema.tree();

  @Test
  void eachMessageAndFixIsKeyedByAKeywordOfItsOwnSchema() {
    List<String> checked = new ArrayList<>();
    walk(TREE, "#", checked);
    assertThat(checked).as("x-message and x-fix entries").hasSizeGreaterThan(20);
  }

  private static void walk(JsonNode n, String at, List<String> checked) {
    if (n.isObject()) {
      for (String words : List.of("x-message", "x-fix")) {
        n.path(words)
            .fields()
            .forEachRemaining(
                e -> {
                  assertThat(n.has(e.getKey()))
                      .as(at + "/" + words + "/" + e.getKey() + " names a keyword of " + at)
                      .isTrue();
                  assertThat(e.getValue().isTextual()).as(at + "/" + words).isTrue();
                  checked.add(at + "/" + words + "/" + e.getKey());
                });
      }
      n.fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().startsWith("x-")) {
                  walk(e.getValue(), at + "/" + e.getKey(), checked);
                }
              });
    } else if (n.isArray()) {
      for (int i = 0; i < n.size(); i++) {
        walk(n.get(i), at + "/" + i, checked);
      }
    }
  }

  @Test
  void theFilesOwnMessagesHoldNoBraces() {
    // The validator formats a message holding a brace with MessageFormat, quotes and all.
    List<String> messages = new ArrayList<>();
    TREE.findValues("x-message").forEach(m -> m.forEach(t -> messages.add(t.asText())));
    assertThat(messages).isNotEmpty().noneMatch(t -> t.contains("{") || t.contains("''"));
  }

  @Test
  void theRecordsNameTheFieldsTheSchemaAllows() {
    JsonNode defs = TREE.path("$defs");
    assertSameFields(KeyturnFile.class, TREE);
    assertSameFields(KeyturnFile.Secret.class, defs.path("secret"));
    assertSameFields(KeyturnFile.Gateway.class, defs.at("/secret/properties/gateway"));
    assertSameFields(KeyturnFile.Verify.class, defs.at("/secret/properties/verify"));
    assertSameFields(KeyturnFile.Schedule.class, defs.path("schedule"));
    assertSameFields(KeyturnFile.KeyRef.class, defs.path("keyRef"));
    assertThat(defs.at("/keySource/properties").has("keyHash")).isFalse();
  }

  private static void assertSameFields(Class<?> record, JsonNode schema) {
    TreeSet<String> components =
        new TreeSet<>(
            Arrays.stream(record.getRecordComponents()).map(RecordComponent::getName).toList());
    TreeSet<String> properties = new TreeSet<>();
    schema.path("properties").fieldNames().forEachRemaining(properties::add);
    assertThat(components).as(record.getSimpleName()).isEqualTo(properties);
  }
}
