package io.keyturn.workflows.provider;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A provider of upstream keys ({@code provider:} of a {@code providerKeys:} entry) as the CLI,
 * keyturn.yaml and the worker all see it: its name, a description, whether Keyturn makes and
 * revokes its keys itself, the shape of its keys, its settings with their validation and JSON
 * Schema, and whether a proxy can read its keys from a secret store. The calls to the provider are
 * the worker's {@code KeyProvider} of the same name, in the activities module.
 *
 * <p>Found by {@link ProviderTypes} through {@link java.util.ServiceLoader}: a subclass with a
 * public no-argument constructor, named in {@code
 * META-INF/services/io.keyturn.workflows.provider.ProviderType} (by {@code @AutoService}). Nothing
 * here needs a provider's SDK, so the CLI carries every provider without carrying any SDK.
 */
public abstract class ProviderType {

  /**
   * What is wrong with an entry's settings.
   *
   * @param setting the setting at fault, as keyturn.yaml names it
   * @param message what is wrong
   * @param fix what the operator should write instead
   */
  public record Problem(String setting, String message, String fix) {}

  private final String name;
  private final String summary;
  private final boolean automated;
  private final KeyShape keyShape;
  private final List<ProviderSetting> settings;

  protected ProviderType(
      String name,
      String summary,
      boolean automated,
      KeyShape keyShape,
      ProviderSetting... settings) {
    if (name == null || !name.matches("[a-z0-9][a-z0-9-]*")) {
      throw new IllegalArgumentException(
          "provider name must be lowercase letters, digits and '-': " + name);
    }
    this.name = name;
    this.summary = Objects.requireNonNull(summary, "summary");
    this.automated = automated;
    this.keyShape = Objects.requireNonNull(keyShape, "keyShape");
    this.settings = List.of(settings);
  }

  /** The name keyturn.yaml uses, e.g. {@code openai}. */
  public final String name() {
    return name;
  }

  /** Where its new keys come from, in a phrase: {@code a person hands it in with ...}. */
  public final String summary() {
    return summary;
  }

  /**
   * Whether the worker makes and revokes its keys itself; false for keys a person makes ({@code
   * keyturn provide}) and revokes ({@code keyturn confirm-revoked}).
   */
  public final boolean automated() {
    return automated;
  }

  /** What one of its keys is: one API key, or an AWS access key pair. */
  public final KeyShape keyShape() {
    return keyShape;
  }

  /**
   * What one of its keys is for an entry with these (checked) {@code settings}: {@link #keyShape()}
   * unless the provider lets an entry choose ({@code manual}'s {@code keyShape:}).
   */
  public KeyShape keyShape(Map<String, String> settings) {
    return keyShape;
  }

  /** The settings an entry of this provider takes, in the order help shows them. */
  public final List<ProviderSetting> settings() {
    return settings;
  }

  /**
   * What is wrong with an entry's settings: names no setting of this provider declares, missing
   * required ones, values that do not match; then {@link #check} of the rest. Empty when none.
   */
  public final List<Problem> problems(Map<String, String> values) {
    Map<String, String> given = values == null ? Map.of() : values;
    List<Problem> out = new ArrayList<>();
    Set<String> known = new TreeSet<>();
    settings.forEach(s -> known.add(s.name()));
    for (String unknown : new TreeSet<>(given.keySet())) {
      if (!known.contains(unknown)) {
        out.add(
            new Problem(
                unknown,
                "provider " + name + " has no setting '" + unknown + "'.",
                known.isEmpty()
                    ? "remove it: provider " + name + " takes no settings."
                    : "remove it or fix its spelling; provider " + name + " takes " + known + "."));
      }
    }
    for (ProviderSetting s : settings) {
      String v = given.get(s.name());
      if (v == null || v.isBlank()) {
        if (s.required()) {
          out.add(
              new Problem(
                  s.name(),
                  "provider " + name + " needs " + s.name() + ".",
                  "add " + s.name() + ": " + s.description()));
        }
      } else if (s.pattern() != null && !v.strip().matches(s.pattern())) {
        out.add(new Problem(s.name(), "'" + v + "' is not " + s.notA() + ".", s.fix() + "."));
      }
    }
    if (out.isEmpty()) {
      Problem p = check(clean(given));
      if (p != null) {
        out.add(p);
      }
    }
    return out;
  }

  /**
   * The settings, checked and stripped, absent ones left out.
   *
   * @throws IllegalArgumentException with the first {@link #problems} and its fix
   */
  public final Map<String, String> parse(Map<String, String> values) {
    List<Problem> p = problems(values);
    if (!p.isEmpty()) {
      throw new IllegalArgumentException(p.get(0).message() + " " + p.get(0).fix());
    }
    return clean(values == null ? Map.of() : values);
  }

  private Map<String, String> clean(Map<String, String> given) {
    Map<String, String> clean = new LinkedHashMap<>();
    for (ProviderSetting s : settings) {
      String v = given.get(s.name());
      if (v != null && !v.isBlank()) {
        clean.put(s.name(), v.strip());
      }
    }
    return clean;
  }

  /**
   * Rules across settings that no pattern expresses, over settings that passed their own checks;
   * none by default.
   *
   * @return the problem, or null
   */
  protected Problem check(Map<String, String> settings) {
    return null;
  }

  /**
   * The {@code litellm_params} of a deployment that calls with the key {@code value}, besides its
   * {@code model} and {@code api_base}: the {@link #keyShape()}'s fields ({@link
   * KeyShape#secretParams}) and whatever a provider adds from its settings (aws-iam: {@code
   * aws_region_name}). The worker puts them only into the {@code /model/new} body.
   *
   * @throws IllegalArgumentException when {@code value} is not of this provider's shape
   */
  public Map<String, Object> litellmParams(Map<String, String> settings, String value) {
    return keyShape(settings).secretParams(value);
  }

  /**
   * Why an entry of this provider with {@code settings} cannot go through {@code secretStore:}, or
   * null when it can: a secret store holds one value, which the proxy reads as {@code api_key}.
   */
  public Problem secretStoreProblem(Map<String, String> settings) {
    KeyShape keyShape = keyShape(settings == null ? Map.of() : settings);
    if (keyShape.singleValue()) {
      return null;
    }
    return new Problem(
        "secretStore",
        ("aeiou".indexOf(name.charAt(0)) >= 0 ? "an " : "a ")
            + name
            + " key is "
            + keyShape.description()
            + ", and secretStore publishes one value the proxy reads as api_key.",
        "remove secretStore: "
            + name
            + " keys are rotated through dual deployments, whose "
            + String.join(" and ", keyShape.litellmFields())
            + " the proxy stores encrypted.");
  }

  /**
   * The JSON Schema (draft 2020-12) of each setting, by name: {@code type}, {@code pattern}, {@code
   * examples} and {@code description}. The CLI's schema adds its messages from {@link
   * ProviderSetting#notA} and {@link ProviderSetting#fix}.
   */
  public final Map<String, Map<String, Object>> schema() {
    Map<String, Map<String, Object>> props = new LinkedHashMap<>();
    for (ProviderSetting s : settings) {
      Map<String, Object> p = new LinkedHashMap<>();
      p.put("type", "string");
      p.put("minLength", 1);
      if (s.pattern() != null) {
        p.put("pattern", "^(?:" + s.pattern() + ")$");
      }
      p.put("examples", List.of(s.example()));
      p.put(
          "description",
          "provider " + name + (s.required() ? "" : ", optional") + ": " + s.description());
      props.put(s.name(), p);
    }
    return props;
  }

  /** Settings of the right form: each required setting's example. */
  public final Map<String, String> example() {
    Map<String, String> out = new LinkedHashMap<>();
    settings.stream()
        .filter(ProviderSetting::required)
        .forEach(s -> out.put(s.name(), s.example()));
    return out;
  }

  /** The names of the settings an entry must give. */
  public final List<String> required() {
    return settings.stream().filter(ProviderSetting::required).map(ProviderSetting::name).toList();
  }
}
