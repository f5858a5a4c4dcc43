package io.keyturn.workflows.provider;

import java.util.Objects;

/**
 * One setting of a provider, as a {@code providerKeys:} entry of keyturn.yaml writes it beside
 * {@code provider:} ({@code project: proj_...}): the JSON Schema property with its messages, and
 * the first validation of the value, are made from this one declaration.
 *
 * @param name the setting's name, e.g. {@code iamUser}
 * @param required whether an entry of this provider must give it
 * @param pattern a regular expression the whole value must match (null: any text)
 * @param description what it is, for the schema and help
 * @param notA what a value that fails {@code pattern} is not, e.g. {@code an IAM user name}
 * @param fix how to write it instead, e.g. {@code write it like us-east-1}
 * @param example a value of the right form, for the schema and the providers' contract test
 */
public record ProviderSetting(
    String name,
    boolean required,
    String pattern,
    String description,
    String notA,
    String fix,
    String example) {

  public ProviderSetting {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(description, "description");
    if (!name.matches("[a-z][A-Za-z0-9]*")) {
      throw new IllegalArgumentException("a provider setting is named in camelCase: " + name);
    }
    if (pattern != null && (notA == null || fix == null)) {
      throw new IllegalArgumentException(
          "setting " + name + " has a pattern: say what a refused value is not, and the fix");
    }
    Objects.requireNonNull(example, "example");
    if (pattern != null && !example.matches(pattern)) {
      throw new IllegalArgumentException(
          "setting " + name + ": the example '" + example + "' does not match " + pattern);
    }
  }

  /** A setting every entry of the provider must give, matching {@code pattern}. */
  public static ProviderSetting required(
      String name, String pattern, String description, String notA, String fix, String example) {
    return new ProviderSetting(name, true, pattern, description, notA, fix, example);
  }

  /** An optional setting, matching {@code pattern} when given. */
  public static ProviderSetting optional(
      String name, String pattern, String description, String notA, String fix, String example) {
    return new ProviderSetting(name, false, pattern, description, notA, fix, example);
  }
}
