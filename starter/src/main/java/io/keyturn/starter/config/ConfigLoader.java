package io.keyturn.starter.config;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import io.keyturn.starter.config.SecretSpec.Destination;
import io.keyturn.starter.config.SecretSpec.KeySource;
import io.keyturn.starter.config.SecretSpec.Policy;
import io.keyturn.starter.config.SecretSpec.Schedule;
import io.keyturn.workflows.model.Durations;
import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.store.StoreSetting;
import io.keyturn.workflows.store.StoreType;
import io.keyturn.workflows.store.StoreTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads {@code keyturn.yaml} (one file, or every {@code *.yaml}/{@code *.yml} of a directory),
 * checks it against {@code keyturn.schema.json}, then checks what a schema cannot: ids unique
 * across files, a grace period shorter than the interval, a cron that fires, a real time zone.
 * Every problem is collected, so one run lists them all. Nothing here reads a key or calls a
 * server.
 */
public final class ConfigLoader {
  public static final String SCHEMA_RESOURCE = "/io/keyturn/starter/config/keyturn.schema.json";
  static final Duration DEFAULT_GRACE = Duration.ofHours(24);
  static final Duration MIN_INTERVAL = Duration.ofSeconds(1);

  private static final ObjectMapper YAML = new YAMLMapper();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonSchema SCHEMA = loadSchema();
  private static final CronParser CRON =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));

  private final List<ConfigProblem> problems = new ArrayList<>();

  /** The schema's text, for {@code keyturn schema}. */
  public static String schemaText() {
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(schemaTree()) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The schema: the file's own parts from {@value #SCHEMA_RESOURCE}, and {@code $defs.destination}
   * made from the store types ({@link StoreTypes}), so that a store type's settings are declared
   * once, in its type.
   */
  static ObjectNode schemaTree() {
    ObjectNode root;
    try (InputStream in = ConfigLoader.class.getResourceAsStream(SCHEMA_RESOURCE)) {
      root = (ObjectNode) JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    ObjectNode destination = JSON.createObjectNode();
    destination.put("type", "object");
    destination.putArray("required").add("type");
    ArrayNode types = destination.putObject("properties").putObject("type").putArray("enum");
    ArrayNode allOf = destination.putArray("allOf");
    for (StoreType<?> t : StoreTypes.all()) {
      types.add(t.name());
      ObjectNode when = allOf.addObject();
      when.putObject("if").putObject("properties").putObject("type").put("const", t.name());
      when.set("then", JSON.valueToTree(t.schema()));
    }
    ((ObjectNode) root.get("$defs")).set("destination", destination);
    return root;
  }

  private static JsonSchema loadSchema() {
    return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(schemaTree());
  }

  /** Loads and checks; throws {@link ConfigException} listing every problem. */
  public static List<SecretSpec> load(Path fileOrDir) {
    return new ConfigLoader().run(fileOrDir);
  }

  private List<SecretSpec> run(Path fileOrDir) {
    List<Path> files = files(fileOrDir);
    List<SecretSpec> secrets = new ArrayList<>();
    for (Path f : files) {
      JsonNode root = parse(f);
      if (root == null) {
        continue;
      }
      int before = problems.size();
      for (ValidationMessage m : SCHEMA.validate(root)) {
        problems.add(explain(f, root, m));
      }
      if (problems.size() == before) {
        JsonNode list = root.path("secrets");
        for (int i = 0; i < list.size(); i++) {
          SecretSpec s = secret(f, "secrets[" + i + "]", list.get(i));
          if (s != null) {
            secrets.add(s);
          }
        }
      }
    }
    Map<String, SecretSpec> byId = new LinkedHashMap<>();
    for (SecretSpec s : secrets) {
      SecretSpec first = byId.putIfAbsent(s.id(), s);
      if (first != null) {
        problems.add(
            new ConfigProblem(
                s.file(),
                "secret " + s.id(),
                "the id '" + s.id() + "' is declared twice (first in " + first.file() + ").",
                "give each secret its own id; an id names its schedule and its keys."));
      }
    }
    if (!problems.isEmpty()) {
      throw new ConfigException(dedupe(problems));
    }
    return List.copyOf(secrets);
  }

  private List<Path> files(Path fileOrDir) {
    if (Files.isDirectory(fileOrDir)) {
      List<Path> found;
      try (Stream<Path> s = Files.list(fileOrDir)) {
        found =
            s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml"))
                .filter(Files::isRegularFile)
                .sorted(Comparator.comparing(Path::toString))
                .toList();
      } catch (IOException e) {
        throw new ConfigException(
            List.of(
                new ConfigProblem(
                    fileOrDir, null, "cannot list the directory: " + e.getMessage(), null)));
      }
      if (found.isEmpty()) {
        throw new ConfigException(
            List.of(
                new ConfigProblem(
                    fileOrDir,
                    null,
                    "the directory holds no *.yaml or *.yml file.",
                    "point -f at a keyturn.yaml, or at a directory of them.")));
      }
      return found;
    }
    if (!Files.isReadable(fileOrDir)) {
      throw new ConfigException(
          List.of(
              new ConfigProblem(
                  fileOrDir,
                  null,
                  Files.exists(fileOrDir) ? "cannot be read." : "does not exist.",
                  "give the path of a keyturn.yaml (or a directory of them) with -f.")));
    }
    return List.of(fileOrDir);
  }

  private JsonNode parse(Path f) {
    try {
      JsonNode n = YAML.readTree(f.toFile());
      if (n == null || n.isMissingNode() || n.isNull()) {
        problems.add(
            new ConfigProblem(
                f, null, "is empty.", "declare at least 'secrets:' (see `keyturn schema`)."));
        return null;
      }
      return n;
    } catch (JsonProcessingException e) {
      var loc = e.getLocation();
      problems.add(
          new ConfigProblem(
              f,
              loc == null ? null : loc.getLineNr() + ":" + loc.getColumnNr(),
              "is not valid YAML: " + yamlProblem(e),
              "fix the YAML syntax (indentation, quotes, colons)."));
      return null;
    } catch (IOException e) {
      problems.add(new ConfigProblem(f, null, "cannot be read: " + e.getMessage(), null));
      return null;
    }
  }

  /**
   * The parser's problem in one line, e.g. "expected <block end>, but found '<block mapping start>'
   * (while parsing a block collection that starts at 3:3)", not its multi-line dump with quoted
   * source and carets.
   */
  static String yamlProblem(JsonProcessingException e) {
    for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof MarkedYAMLException y && y.getProblem() != null) {
        String context = "";
        if (y.getContext() != null) {
          var at = y.getContextMark();
          context =
              " ("
                  + y.getContext()
                  + (at == null
                      ? ""
                      : " that starts at " + (at.getLine() + 1) + ":" + (at.getColumn() + 1))
                  + ")";
        }
        return y.getProblem().strip() + context;
      }
    }
    String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    return m.lines().map(String::strip).filter(l -> !l.isEmpty()).findFirst().orElse(m);
  }

  // ------------------------------------------------------------------ schema messages

  /** Turns a schema message into a problem with a field path and a fix. */
  private static ConfigProblem explain(Path f, JsonNode root, ValidationMessage m) {
    String at = m.getInstanceLocation().toString().replaceFirst("^\\$\\.?", "");
    String type = m.getType();
    String text = m.getMessage().replaceFirst("^\\$[^:]*: ", "");
    String leaf = at.replaceAll(".*[.\\]]", "").replaceAll("\\[\\d+$", "");
    if (at.contains(".")) {
      leaf = at.substring(at.lastIndexOf('.') + 1);
    }
    switch (type) {
      case "required":
        return new ConfigProblem(
            f,
            join(at, m.getProperty()),
            "is missing.",
            "add '" + m.getProperty() + "' (`keyturn schema` shows every field).");
      case "additionalProperties":
        return new ConfigProblem(
            f,
            join(at, m.getProperty()),
            "is not a known field here.",
            "remove it or fix its spelling; `keyturn schema` lists the fields"
                + (at.endsWith("policy")
                    ? " (a policy takes LiteLLM /key/generate fields Keyturn supports)."
                    : "."));
      case "pattern":
        {
          StoreSetting setting = destinationSetting(root, at, leaf);
          if (setting != null) {
            return new ConfigProblem(
                f,
                at,
                "'" + value(root, at) + "' is not " + setting.description() + ".",
                "write " + setting.description() + " (`keyturn schema` shows the form).");
          }
          return new ConfigProblem(
              f, at, "'" + value(root, at) + "' " + patternText(leaf), patternFix(leaf));
        }
      case "oneOf":
        if (at.endsWith("schedule")) {
          return new ConfigProblem(
              f,
              at,
              "needs exactly one of 'every' (an interval) or 'cron'.",
              "write e.g. 'every: 30d', or 'cron: \"0 3 * * 1\"' with 'timezone:'.");
        }
        if (at.endsWith("import")) {
          return new ConfigProblem(
              f,
              at,
              "must be 'current' or one of {env: NAME}, {file: PATH}, {keyHash: HEX}.",
              "write 'import: current' to copy the replaced key's policy at each rotation.");
        }
        return new ConfigProblem(f, at, text, null);
      case "minProperties":
      case "maxProperties":
        return new ConfigProblem(
            f,
            at,
            "must name exactly one source.",
            "write one of env: NAME, file: PATH"
                + (at.endsWith("managementKey") ? "." : ", keyHash: <64 hex>."));
      case "minItems":
        return new ConfigProblem(
            f,
            at,
            "is empty.",
            "name at least one destination (e.g. type: vault-kv2, name: my-app).");
      case "enum":
        {
          var allowed = java.util.regex.Pattern.compile("\\[(.*)]").matcher(text);
          String values = allowed.find() ? allowed.group(1).replace("\"", "") : null;
          if (leaf.equals("type") && at.contains("destinations")) {
            return new ConfigProblem(
                f,
                at,
                "'" + value(root, at) + "' is not a destination type Keyturn knows.",
                "use one of: "
                    + String.join(", ", StoreTypes.names())
                    + " (`keyturn schema` shows each one's settings).");
          }
          return new ConfigProblem(
              f,
              at,
              "'" + value(root, at) + "' is not an allowed value.",
              values == null ? null : "use one of: " + values + ".");
        }
      case "const":
        return new ConfigProblem(f, at, text, "write 'apiVersion: keyturn/v1'.");
      default:
        return new ConfigProblem(f, at, text, null);
    }
  }

  /** The store type's setting at {@code at} when it is a destination's setting, else null. */
  private static StoreSetting destinationSetting(JsonNode root, String at, String leaf) {
    int i = at.lastIndexOf(".destinations[");
    if (i < 0 || at.indexOf('.', i + 1) != at.lastIndexOf('.')) {
      return null;
    }
    String type = value(root, at.substring(0, at.lastIndexOf('.')) + ".type");
    if (!StoreTypes.names().contains(type)) {
      return null;
    }
    return StoreTypes.get(type).settings().stream()
        .filter(s -> s.name().equals(leaf))
        .findFirst()
        .orElse(null);
  }

  private static String join(String at, String prop) {
    return at.isEmpty() ? prop : at + "." + prop;
  }

  private static String patternText(String leaf) {
    return switch (leaf) {
      case "every", "grace", "jitter" -> "is not a duration.";
      case "id" -> "is not a valid secret id.";
      case "url" -> "is not an http(s) URL.";
      case "keyHash" -> "is not a LiteLLM token hash.";
      case "env" -> "is not an environment variable name.";
      case "budget_duration" -> "is not a LiteLLM budget duration.";
      default -> "has the wrong form.";
    };
  }

  private static String patternFix(String leaf) {
    return switch (leaf) {
      case "every", "grace", "jitter" -> "use a number and a unit: 30s, 10m, 24h, 30d, 2w, 1h30m.";
      case "id" ->
          "use 1-63 lowercase letters, digits, '.', '_' or '-', starting with a letter or digit.";
      case "url" -> "write it like https://litellm.example.com.";
      case "keyHash" ->
          "give the 64 lowercase hex characters LiteLLM calls the key's token (sha256 of the key).";
      case "env" -> "use letters, digits and '_', not starting with a digit.";
      case "budget_duration" -> "use 30s, 30m, 30h, 30d, 1mo, or daily, weekly, monthly.";
      default -> null;
    };
  }

  private static String value(JsonNode root, String at) {
    JsonNode n = root;
    for (String part : at.split("\\.")) {
      if (part.isEmpty()) {
        continue;
      }
      int b = part.indexOf('[');
      n = n.path(b < 0 ? part : part.substring(0, b));
      while (b >= 0) {
        int e = part.indexOf(']', b);
        n = n.path(Integer.parseInt(part.substring(b + 1, e)));
        b = part.indexOf('[', e);
      }
    }
    return n.isValueNode() ? n.asText() : n.toString();
  }

  // ------------------------------------------------------------------ semantics

  private SecretSpec secret(Path f, String at, JsonNode s) {
    int before = problems.size();
    String id = s.path("id").asText();
    Path dir = f.toAbsolutePath().getParent();
    JsonNode gw = s.path("gateway");
    KeySource mgmt = keySource(dir, gw.path("managementKey"));
    if (mgmt == null) {
      mgmt = new KeySource("LITELLM_MASTER_KEY", null, null);
    }
    KeySource current = keySource(dir, s.path("currentKey"));

    Duration grace = DEFAULT_GRACE;
    if (s.has("grace")) {
      grace = Durations.parse(s.path("grace").asText());
      if (grace.compareTo(RotationRequest.MAX_GRACE) > 0) {
        long days = RotationRequest.MAX_GRACE.toDays();
        problems.add(
            new ConfigProblem(
                f,
                at + ".grace",
                s.path("grace").asText()
                    + " is longer than the "
                    + days
                    + "-day maximum grace period.",
                "keep the old key valid "
                    + days
                    + " days at most; a shorter grace limits a leaked key."));
      }
    }

    JsonNode sch = s.path("schedule");
    Duration every = sch.has("every") ? Durations.parse(sch.path("every").asText()) : null;
    String cron = sch.has("cron") ? sch.path("cron").asText().trim() : null;
    String tz = sch.path("timezone").asText("UTC");
    Duration jitter =
        sch.has("jitter") ? Durations.parse(sch.path("jitter").asText()) : Duration.ZERO;
    ZoneId zone = null;
    try {
      zone = ZoneId.of(tz);
    } catch (DateTimeException e) {
      problems.add(
          new ConfigProblem(
              f,
              at + ".schedule.timezone",
              "'" + tz + "' is not a time zone.",
              "use an IANA name such as UTC, Europe/Paris or America/New_York."));
    }
    Duration interval = every;
    if (every != null && every.compareTo(MIN_INTERVAL) < 0) {
      problems.add(
          new ConfigProblem(
              f,
              at + ".schedule.every",
              "must be at least 1s.",
              "use e.g. 30d (or 30s in a test)."));
      interval = null;
    }
    if (cron != null && zone != null) {
      interval = cronGap(f, at + ".schedule.cron", cron, zone);
    }
    if (interval != null) {
      if (grace.compareTo(interval) >= 0) {
        problems.add(
            new ConfigProblem(
                f,
                at + ".grace",
                "the grace period ("
                    + Durations.format(grace)
                    + ") is not shorter than the time between rotations ("
                    + Durations.format(interval)
                    + "): the next rotation would be due while the last one still waits to revoke.",
                "make the grace period shorter than the interval, e.g. 24h for a 30d interval."));
      }
      if (!jitter.isZero() && jitter.compareTo(interval) >= 0) {
        problems.add(
            new ConfigProblem(
                f,
                at + ".schedule.jitter",
                "the jitter ("
                    + Durations.format(jitter)
                    + ") is not shorter than the time between rotations ("
                    + Durations.format(interval)
                    + ").",
                "use a jitter well under the interval, e.g. 1h for 30d."));
      }
    }

    JsonNode pol = s.path("policy");
    boolean importCurrent = true;
    KeySource template = null;
    Map<String, Object> fields = new LinkedHashMap<>();
    pol.fields()
        .forEachRemaining(
            e -> {
              if (!e.getKey().equals("import")) {
                fields.put(e.getKey(), YAML.convertValue(e.getValue(), Object.class));
              }
            });
    if (pol.has("import") && pol.path("import").isObject()) {
      template = keySource(dir, pol.path("import"));
      importCurrent = false;
    } else if (!pol.has("import") && !fields.isEmpty()) {
      importCurrent = false;
    }

    List<Destination> dests = new ArrayList<>();
    JsonNode ds = s.path("destinations");
    for (int i = 0; i < ds.size(); i++) {
      Map<String, Object> settings = new LinkedHashMap<>();
      ds.get(i)
          .fields()
          .forEachRemaining(
              e -> {
                if (!e.getKey().equals("type")) {
                  settings.put(e.getKey(), YAML.convertValue(e.getValue(), Object.class));
                }
              });
      String type = ds.get(i).path("type").asText();
      StoreType<?> storeType = StoreTypes.get(type); // the schema allowed only known types
      for (StoreSetting setting : storeType.settings()) {
        if (setting.kind() == StoreSetting.Kind.PATH && settings.get(setting.name()) != null) {
          // Relative to the file that declares it, as every path in keyturn.yaml.
          settings.put(
              setting.name(),
              dir.resolve(String.valueOf(settings.get(setting.name()))).normalize().toString());
        }
      }
      Destination d = new Destination(type, Map.copyOf(settings));
      try {
        storeType.parse(d.stringSettings());
      } catch (IllegalArgumentException e) {
        problems.add(
            new ConfigProblem(
                f,
                at + ".destinations[" + i + "]",
                e.getMessage() + ".",
                "fix the setting (`keyturn schema` shows each store's settings)."));
      }
      dests.add(d);
    }
    for (int i = 0; i < dests.size(); i++) {
      for (int j = 0; j < i; j++) {
        if (dests.get(i).equals(dests.get(j))) {
          problems.add(
              new ConfigProblem(
                  f,
                  at + ".destinations[" + i + "]",
                  "repeats destinations[" + j + "] (" + dests.get(j).describe() + ").",
                  "list each store location once."));
        }
      }
    }

    if (problems.size() > before) {
      return null;
    }
    return new SecretSpec(
        id,
        s.path("description").asText(null),
        f,
        gw.path("url").asText().replaceAll("/+$", ""),
        mgmt,
        current,
        new Policy(importCurrent, template, Map.copyOf(fields)),
        List.copyOf(dests),
        new Schedule(every, cron, tz, jitter, sch.path("paused").asBoolean(false)),
        grace,
        s.path("verify").path("models").asBoolean(true));
  }

  private static KeySource keySource(Path dir, JsonNode n) {
    if (n.isMissingNode() || !n.isObject()) {
      return null;
    }
    return new KeySource(
        n.has("env") ? n.path("env").asText() : null,
        n.has("file") ? dir.resolve(n.path("file").asText()).normalize() : null,
        n.has("keyHash") ? n.path("keyHash").asText() : null);
  }

  /** The shortest time between two of the next runs of a cron, or null after a problem. */
  private Duration cronGap(Path f, String at, String expr, ZoneId zone) {
    Cron cron;
    try {
      cron = CRON.parse(expr).validate();
    } catch (IllegalArgumentException e) {
      problems.add(
          new ConfigProblem(
              f,
              at,
              "'" + expr + "' is not a cron expression: " + e.getMessage(),
              "use five fields: minute hour day-of-month month day-of-week, e.g. \"0 3 * * 1\"."));
      return null;
    }
    ExecutionTime times = ExecutionTime.forCron(cron);
    ZonedDateTime t = ZonedDateTime.now(zone);
    ZonedDateTime horizon = t.plusYears(5);
    Duration gap = null;
    ZonedDateTime prev = null;
    for (int i = 0; i < 60; i++) {
      Optional<ZonedDateTime> next;
      try {
        next = times.nextExecution(t);
      } catch (RuntimeException e) {
        next = Optional.empty();
      }
      if (next.isEmpty() || next.get().isAfter(horizon)) {
        break;
      }
      if (prev != null) {
        Duration d = Duration.between(prev, next.get());
        gap = gap == null || d.compareTo(gap) < 0 ? d : gap;
      }
      prev = next.get();
      t = next.get();
    }
    if (prev == null) {
      problems.add(
          new ConfigProblem(
              f,
              at,
              "'" + expr + "' never fires (no run in the next five years).",
              "check the day-of-month and month fields (there is no February 30th)."));
      return null;
    }
    return gap;
  }

  private static List<ConfigProblem> dedupe(List<ConfigProblem> in) {
    return in.stream().distinct().toList();
  }
}
