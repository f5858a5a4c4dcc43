package io.keyturn.starter.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.NonValidationKeyword;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.keyturn.workflows.provider.ProviderSetting;
import io.keyturn.workflows.provider.ProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
import io.keyturn.workflows.store.StoreSetting;
import io.keyturn.workflows.store.StoreType;
import io.keyturn.workflows.store.StoreTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The JSON Schema of keyturn.yaml ({@value #RESOURCE}, with {@code $defs.destination} made from the
 * store types and a provider key's {@code provider} and settings from the providers) and the
 * problems it finds in a file. What a failing keyword means for the operator is written in the
 * schema beside the rule: {@code x-message} (formatted by the validator) and {@code x-fix}, each
 * keyed by keyword. Keywords whose meaning is the same wherever they appear ({@code required},
 * {@code additionalProperties}, {@code type}, {@code enum}, ...) are worded here once.
 */
final class ConfigSchema {
  static final String RESOURCE = "/io/keyturn/starter/config/keyturn.schema.json";
  private static final String MESSAGE = "x-message";
  private static final String FIX = "x-fix";
  private static final String SEE = "see `keyturn schema` for the form of each field.";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectNode TREE = tree();
  private static final JsonSchema SCHEMA = compile(TREE);

  private ConfigSchema() {}

  /** The schema's text, for {@code keyturn schema}. */
  static String text() {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(TREE) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The schema: the file's own parts from {@value #RESOURCE}, and {@code $defs.destination} made
   * from the store types ({@link StoreTypes}), so that a store type's settings are declared once,
   * in its type; their messages are made from each setting's description.
   */
  static ObjectNode tree() {
    ObjectNode root;
    try (InputStream in = ConfigSchema.class.getResourceAsStream(RESOURCE)) {
      root = (ObjectNode) JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ObjectNode destination = JSON.createObjectNode();
    destination.put("type", "object");
    destination.putArray("required").add("type");
    String typeNames = String.join(", ", StoreTypes.names());
    destination.putObject(FIX).put("required", "add 'type', one of: " + typeNames + ".");
    ObjectNode type = destination.putObject("properties").putObject("type");
    ArrayNode types = type.putArray("enum");
    type.putObject(MESSAGE).put("enum", "is not a destination type Keyturn knows.");
    type.putObject(FIX)
        .put("enum", "use one of: " + typeNames + " (`keyturn schema` shows each one's settings).");
    ArrayNode allOf = destination.putArray("allOf");
    for (StoreType<?> t : StoreTypes.all()) {
      types.add(t.name());
      ObjectNode when = allOf.addObject();
      ObjectNode ifType = when.putObject("if");
      ifType.putObject("properties").putObject("type").put("const", t.name());
      ifType.putArray("required").add("type");
      ObjectNode then = JSON.valueToTree(t.schema());
      for (StoreSetting s : t.settings()) {
        if (s.pattern() != null && s.kind() != StoreSetting.Kind.WHOLE_NUMBER) {
          ObjectNode p = (ObjectNode) then.path("properties").path(s.name());
          p.putObject(MESSAGE).put("pattern", "is not " + literal(s.description()) + ".");
          p.putObject(FIX)
              .put("pattern", "write " + s.description() + " (`keyturn schema` shows the form).");
        }
      }
      when.set("then", then);
    }
    ((ObjectNode) root.get("$defs")).set("destination", destination);
    providers((ObjectNode) root.get("$defs").get("providerKey"));
    return root;
  }

  /**
   * A {@code providerKeys:} entry's {@code provider} and the settings written beside it, made from
   * the providers ({@link ProviderTypes}): the names {@code provider} allows, each setting a field
   * of the entry, and per provider its required settings and each setting's form with its words. A
   * setting of another provider passes the schema; the loader refuses it, naming the provider.
   */
  private static void providers(ObjectNode providerKey) {
    String names = String.join(", ", ProviderTypes.names());
    ObjectNode provider = JSON.createObjectNode();
    ArrayNode allowed = provider.putArray("enum");
    List<String> whence = new ArrayList<>();
    Map<String, List<String>> settings = new LinkedHashMap<>();
    ArrayNode allOf = providerKey.putArray("allOf");
    for (ProviderType t : ProviderTypes.all()) {
      allowed.add(t.name());
      whence.add(t.name() + " (" + t.summary() + ")");
      if (t.settings().isEmpty()) {
        continue;
      }
      ObjectNode when = allOf.addObject();
      ObjectNode ifProvider = when.putObject("if");
      ifProvider.putObject("properties").putObject("provider").put("const", t.name());
      ifProvider.putArray("required").add("provider");
      ObjectNode then = when.putObject("then");
      if (!t.required().isEmpty()) {
        ArrayNode required = then.putArray("required");
        t.required().forEach(required::add);
      }
      ObjectNode props = then.putObject("properties");
      for (ProviderSetting s : t.settings()) {
        ObjectNode p = JSON.valueToTree(t.schema().get(s.name()));
        props.set(s.name(), p);
        if (s.pattern() != null) {
          p.putObject(MESSAGE).put("pattern", "is not " + literal(s.notA()) + ".");
          p.putObject(FIX).put("pattern", s.fix() + ".");
        }
        settings
            .computeIfAbsent(s.name(), k -> new ArrayList<>())
            .add(t.schema().get(s.name()).get("description").toString());
      }
      if (!t.required().isEmpty()) {
        then.putObject(FIX)
            .put(
                "required",
                "provider "
                    + t.name()
                    + " needs "
                    + String.join(" and ", t.required())
                    + " (`keyturn schema` says what each one is).");
      }
    }
    provider.put("description", "Where the new key comes from: " + String.join(", ", whence) + ".");
    provider.putObject(MESSAGE).put("enum", "is not a provider Keyturn knows.");
    provider
        .putObject(FIX)
        .put("enum", "use one of: " + names + " (`keyturn schema` shows each one's settings).");
    // the provider and its settings where provider stood among the entry's fields
    ObjectNode before = (ObjectNode) providerKey.get("properties");
    ObjectNode after = JSON.createObjectNode();
    before
        .fields()
        .forEachRemaining(
            e -> {
              if (!e.getKey().equals("provider")) {
                after.set(e.getKey(), e.getValue());
                return;
              }
              after.set("provider", provider);
              settings.forEach(
                  (name, descriptions) -> {
                    ObjectNode field = after.putObject(name);
                    field.put("type", "string");
                    field.put("description", String.join(" ", descriptions));
                  });
            });
    providerKey.set("properties", after);
  }

  private static JsonSchema compile(JsonNode tree) {
    JsonMetaSchema meta =
        JsonMetaSchema.builder(JsonMetaSchema.getV202012())
            .keyword(new NonValidationKeyword(FIX))
            .build();
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012, b -> b.metaSchema(meta))
        .getSchema(tree, SchemaValidatorsConfig.builder().errorMessageKeyword(MESSAGE).build());
  }

  /**
   * Text the validator prints as is: it formats a message holding a brace with {@link
   * java.text.MessageFormat}, and prints others unchanged.
   */
  private static String literal(String text) {
    return !text.contains("{")
        ? text
        : text.replace("'", "''").replace("{", "'{'").replace("}", "'}'");
  }

  /** What the schema finds wrong in {@code root}, read from {@code file}; empty when nothing. */
  static List<ConfigProblem> problems(Path file, JsonNode root) {
    List<ConfigProblem> problems = new ArrayList<>();
    var messages = SCHEMA.validate(root);
    for (ValidationMessage m : messages) {
      if (!coveredByOneOf(m, messages)) {
        problems.add(problem(file, m));
      }
    }
    return problems;
  }

  /**
   * A branch's complaint about the very value a failing {@code oneOf} speaks of ("required property
   * 'cron' not found" under "needs exactly one of every or cron"); one about a field within it
   * stands ("'1X' is not an environment variable name").
   */
  private static boolean coveredByOneOf(ValidationMessage m, Iterable<ValidationMessage> all) {
    String path = m.getEvaluationPath().toString();
    for (ValidationMessage o : all) {
      if (o.getType().equals("oneOf")
          && path.startsWith(o.getEvaluationPath() + "/")
          && o.getInstanceLocation().equals(m.getInstanceLocation())) {
        return true;
      }
    }
    return false;
  }

  private static ConfigProblem problem(Path file, ValidationMessage m) {
    String keyword = m.getType();
    JsonNode schema = parentSchema(m);
    String field = field(m.getInstanceLocation());
    JsonNode value = m.getInstanceNode();
    if (keyword.equals("required") || keyword.equals("additionalProperties")) {
      // About one field of the object at the path: that field is the place, and has no value.
      field = field.isEmpty() ? m.getProperty() : field + "." + m.getProperty();
      value = null;
    }
    Words own = ownWords(keyword, m);
    String message =
        schema.path(MESSAGE).has(keyword)
            ? m.getMessage()
            : own.message() != null ? own.message() : m.getError();
    String fix = schema.path(FIX).path(keyword).textValue();
    fix = fix != null ? fix : own.fix() != null ? own.fix() : SEE;
    if (value != null && value.isValueNode() && !value.asText().isEmpty()) {
      // The value the rule refused, before what is wrong with it: "'30days' is not a duration."
      message = "'" + value.asText() + "' " + message;
    }
    return new ConfigProblem(file, field, message, fix);
  }

  private record Words(String message, String fix) {}

  /** Keyturn's words for a keyword that means the same wherever it appears (null: none). */
  private static Words ownWords(String keyword, ValidationMessage m) {
    JsonNode rule = m.getSchemaNode();
    Object[] args = m.getArguments() == null ? new Object[0] : m.getArguments();
    return switch (keyword) {
      case "required" ->
          new Words(
              "is missing.", "add '" + m.getProperty() + "' (`keyturn schema` shows every field).");
      case "additionalProperties" ->
          new Words(
              "is not a known field here.",
              "remove it or fix its spelling; `keyturn schema` lists the fields.");
      case "type" ->
          args.length < 2
              ? new Words(null, null)
              : new Words("is " + a(args[0]) + ", where " + a(args[1]) + " is expected.", null);
      case "enum" -> {
        List<String> values = new ArrayList<>();
        rule.forEach(v -> values.add(v.asText()));
        yield new Words(
            "is not an allowed value.", "use one of: " + String.join(", ", values) + ".");
      }
      case "minLength" ->
          new Words(
              rule.asInt() == 1 ? "is empty." : "is shorter than " + rule.asInt() + " characters.",
              null);
      case "minimum" ->
          new Words("is below the minimum, " + rule + ".", "use " + rule + " or more.");
      default -> new Words(null, null);
    };
  }

  /** The schema object that holds the failing keyword, in {@link #TREE}. */
  private static JsonNode parentSchema(ValidationMessage m) {
    JsonNodePath keyword = m.getSchemaLocation().getFragment();
    JsonNode n = TREE;
    for (int i = 0; i < keyword.getNameCount() - 1; i++) {
      Object e = keyword.getElement(i);
      n = e instanceof Integer index ? n.path(index) : n.path(String.valueOf(e));
    }
    return n;
  }

  /** {@code secrets[0].schedule.every} from the validator's path. */
  static String field(JsonNodePath path) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < path.getNameCount(); i++) {
      Object e = path.getElement(i);
      if (e instanceof Integer index) {
        b.append('[').append(index).append(']');
      } else {
        b.append(b.length() == 0 ? "" : ".").append(e);
      }
    }
    return b.toString();
  }

  /** "a string", "an object": the validator's JSON type names with their article. */
  private static String a(Object type) {
    String t = String.valueOf(type).toLowerCase(Locale.ROOT);
    return (t.matches("[aeiou].*") ? "an " : "a ") + t;
  }
}
