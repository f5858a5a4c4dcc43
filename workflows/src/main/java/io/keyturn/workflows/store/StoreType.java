package io.keyturn.workflows.store;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A kind of secret store a rotated key can be published to, as the CLI, keyturn.yaml and the worker
 * all see it: its type name, its settings with their validation, a description, the JSON Schema of
 * its settings, how a destination reads in messages, and the check {@code keyturn plan} makes from
 * where it runs. The store itself (the writes) is the worker's {@code SecretStore} of the same
 * name, in the activities module.
 *
 * <p>Found by {@link StoreTypes} through {@link java.util.ServiceLoader}: a subclass with a public
 * no-argument constructor, named in {@code META-INF/services/io.keyturn.workflows.store.StoreType}.
 * Nothing here needs a store's SDK, so the CLI can carry every type without carrying any SDK.
 *
 * @param <S> the typed, validated settings of a destination of this type
 */
public abstract class StoreType<S> {

  /**
   * What a check from here found wrong.
   *
   * @param setting the setting at fault (null: the destination as a whole)
   * @param message what is wrong, naming the place
   * @param fix what the operator should do
   */
  public record Problem(String setting, String message, String fix) {}

  private final String name;
  private final String summary;
  private final List<StoreSetting> settings;

  protected StoreType(String name, String summary, StoreSetting... settings) {
    if (name == null || !name.matches("[a-z0-9][a-z0-9-]*")) {
      throw new IllegalArgumentException(
          "store type must be lowercase letters, digits and '-': " + name);
    }
    this.name = name;
    this.summary = Objects.requireNonNull(summary, "summary");
    this.settings = List.of(settings);
  }

  /** The type name, e.g. {@code vault-kv2}. */
  public final String name() {
    return name;
  }

  /** One sentence: what this store is and how the key is written there. */
  public final String summary() {
    return summary;
  }

  /** The settings a destination of this type takes, in the order help shows them. */
  public final List<StoreSetting> settings() {
    return settings;
  }

  /**
   * The typed settings of a destination: unknown names, missing required ones and values of the
   * wrong form are refused first (from {@link #settings()}), then {@link #build} checks the rest.
   *
   * @throws IllegalArgumentException naming the setting and what to write instead
   */
  public final S parse(Map<String, String> values) {
    Map<String, String> given = values == null ? Map.of() : values;
    Set<String> known = new TreeSet<>();
    settings.forEach(s -> known.add(s.name()));
    Set<String> unknown = new TreeSet<>(given.keySet());
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          name + " store: unknown setting(s) " + unknown + "; the known ones are " + known);
    }
    Map<String, String> clean = new LinkedHashMap<>();
    for (StoreSetting s : settings) {
      String v = given.get(s.name());
      if (v == null || v.isBlank()) {
        if (s.required()) {
          throw new IllegalArgumentException(
              name + " store: '" + s.name() + "' is required: " + s.description());
        }
        continue;
      }
      v = v.strip();
      if (s.pattern() != null && !v.matches(s.pattern())) {
        throw new IllegalArgumentException(
            name + " store: '" + s.name() + "' must be " + s.description() + ", got '" + v + "'");
      }
      if (!s.values().isEmpty() && !s.values().contains(v)) {
        throw new IllegalArgumentException(
            name + " store: '" + s.name() + "' must be one of " + s.values() + ", got '" + v + "'");
      }
      clean.put(s.name(), v);
    }
    return build(clean);
  }

  /**
   * The typed settings from values already checked against {@link #settings()} (stripped, absent
   * when not given): defaults, cross-setting rules and checks a pattern cannot express.
   *
   * @throws IllegalArgumentException naming the setting and what to write instead
   */
  protected abstract S build(Map<String, String> values);

  /** Where a destination points, without the type name: e.g. {@code secret/litellm/svc-a#key}. */
  public abstract String describe(S settings);

  /**
   * What {@code keyturn plan} and {@code apply} check from the machine they run on, before anything
   * reaches Temporal: that the store answers or the place exists. Read-only; a store that only the
   * worker can reach is what {@code --skip-checks} is for.
   *
   * @param env the environment of the CLI (e.g. {@code VAULT_ADDR})
   * @return the problem, or null when the destination looks usable from here
   */
  public abstract Problem checkFromHere(S settings, Map<String, String> env, Duration timeout);

  /** {@code TYPE:required=..[,optional=default,...]}, the line {@code rotate --to} help shows. */
  public final String usage() {
    List<String> req = new ArrayList<>();
    List<String> opt = new ArrayList<>();
    for (StoreSetting s : settings) {
      String v =
          !s.values().isEmpty()
              ? String.join("|", s.values())
              : s.defaultValue() != null ? s.defaultValue() : s.name().toUpperCase();
      (s.required() ? req : opt).add(s.name() + "=" + v);
    }
    return name
        + ":"
        + String.join(",", req)
        + (opt.isEmpty() ? "" : "[," + String.join(",", opt) + "]");
  }

  /**
   * The JSON Schema (draft 2020-12) of a destination of this type: {@code type} and the settings,
   * nothing else.
   */
  public final Map<String, Object> schema() {
    Map<String, Object> props = new LinkedHashMap<>();
    props.put("type", Map.of("const", name));
    List<String> required = new ArrayList<>();
    for (StoreSetting s : settings) {
      Map<String, Object> p = new LinkedHashMap<>();
      boolean integer = s.kind() == StoreSetting.Kind.WHOLE_NUMBER;
      if (integer) {
        p.put("type", "integer");
      } else {
        p.put("type", "string");
        p.put("minLength", 1);
      }
      if (s.pattern() != null && !integer) {
        p.put("pattern", "^(?:" + s.pattern() + ")$");
      }
      if (!s.values().isEmpty()) {
        p.put("enum", s.values());
      }
      if (s.defaultValue() != null) {
        p.put("default", integer ? Long.valueOf(s.defaultValue()) : s.defaultValue());
      }
      p.put("description", s.description());
      props.put(s.name(), p);
      if (s.required()) {
        required.add(s.name());
      }
    }
    Map<String, Object> schema = new LinkedHashMap<>();
    schema.put("description", name + ": " + summary);
    schema.put("type", "object");
    schema.put("additionalProperties", false);
    schema.put("required", required);
    schema.put("properties", props);
    return schema;
  }

  /** {@link #describe} of settings that have not been parsed yet. */
  final String describeValues(Map<String, String> values) {
    return describe(parse(values));
  }

  /** {@link #checkFromHere} of settings that have not been parsed yet. */
  final Problem checkValuesFromHere(
      Map<String, String> values, Map<String, String> env, Duration timeout) {
    return checkFromHere(parse(values), env, timeout);
  }

  /** Null when {@code url} gives any HTTP answer within {@code timeout}; otherwise why not. */
  protected static String answers(String url, Duration timeout) {
    try {
      HttpClient c = HttpClient.newBuilder().connectTimeout(timeout).build();
      c.send(
          HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build(),
          HttpResponse.BodyHandlers.discarding());
      return null;
    } catch (IOException | IllegalArgumentException e) {
      return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted";
    }
  }
}
