package io.keyturn.starter.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.workflows.provider.ProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
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

  @Test
  void theProviderListIsTheRegisteredProvidersAndTheirSettings() {
    JsonNode entry = TREE.at("/$defs/providerKey");
    List<String> allowed = new ArrayList<>();
    entry.at("/properties/provider/enum").forEach(n -> allowed.add(n.asText()));
    assertThat(allowed)
        .containsExactlyElementsOf(ProviderTypes.names())
        .contains("manual", "openai", "aws-iam");

    // each provider's settings are fields of the entry, checked when that provider is named
    TreeSet<String> settings = new TreeSet<>();
    ProviderTypes.all().forEach(t -> t.settings().forEach(s -> settings.add(s.name())));
    TreeSet<String> fields = new TreeSet<>();
    entry.path("properties").fieldNames().forEachRemaining(fields::add);
    assertThat(fields).containsAll(settings);
    TreeSet<String> components =
        new TreeSet<>(
            Arrays.stream(KeyturnFile.ProviderKeyEntry.class.getRecordComponents())
                .map(RecordComponent::getName)
                .toList());
    components.remove("settings"); // the fields beside provider:, collected by name
    components.addAll(settings);
    assertThat(components).isEqualTo(fields);
    for (ProviderType t : ProviderTypes.all()) {
      JsonNode branch = null;
      for (JsonNode when : entry.path("allOf")) {
        if (when.at("/if/properties/provider/const").asText().equals(t.name())) {
          branch = when.path("then");
        }
      }
      if (t.settings().isEmpty()) {
        assertThat(branch).as(t.name()).isNull();
        continue;
      }
      assertThat(branch).as(t.name()).isNotNull();
      List<String> required = new ArrayList<>();
      branch.path("required").forEach(n -> required.add(n.asText()));
      assertThat(required).as(t.name()).isEqualTo(t.required());
      for (var s : t.settings()) {
        assertThat(branch.at("/properties/" + s.name() + "/description").asText())
            .as(t.name() + "." + s.name())
            .contains(s.description());
      }
    }
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
