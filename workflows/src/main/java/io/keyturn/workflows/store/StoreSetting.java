package io.keyturn.workflows.store;

import java.util.List;
import java.util.Objects;

/**
 * One setting of a secret store type, as a destination names it ({@code --to TYPE:name=value} or
 * keyturn.yaml): the JSON Schema property, the {@code --to} usage and the first validation of the
 * value are all made from this one declaration.
 *
 * @param name the setting's name, e.g. {@code secretId}
 * @param required whether a destination must give it
 * @param defaultValue the value used when it is absent (null: none), shown in help and schema
 * @param pattern a regular expression the whole value must match (null: any text)
 * @param values the only values allowed (empty: any)
 * @param kind text, a whole number, or a local path
 * @param description what it is, for the schema and help
 */
public record StoreSetting(
    String name,
    boolean required,
    String defaultValue,
    String pattern,
    List<String> values,
    Kind kind,
    String description) {

  /** What a value is. */
  public enum Kind {
    /** Any text (within the pattern and values). */
    TEXT,
    /** A whole number. */
    WHOLE_NUMBER,
    /**
     * A path on the worker's file system: where a destination is written down with a relative path
     * (keyturn.yaml, {@code --to}), it is resolved against that file's directory or the working
     * directory.
     */
    PATH
  }

  public StoreSetting {
    Objects.requireNonNull(name, "name");
    values = values == null ? List.of() : List.copyOf(values);
    kind = kind == null ? Kind.TEXT : kind;
    Objects.requireNonNull(description, "description");
  }

  /** A setting every destination of the type must give. */
  public static StoreSetting required(String name, String description) {
    return new StoreSetting(name, true, null, null, List.of(), Kind.TEXT, description);
  }

  /** An optional setting; {@code defaultValue} may be null (no default). */
  public static StoreSetting optional(String name, String defaultValue, String description) {
    return new StoreSetting(name, false, defaultValue, null, List.of(), Kind.TEXT, description);
  }

  /** The same setting, its value matching {@code regex} in full. */
  public StoreSetting matching(String regex) {
    return new StoreSetting(name, required, defaultValue, regex, values, kind, description);
  }

  /** The same setting, its value one of {@code allowed}. */
  public StoreSetting oneOf(String... allowed) {
    return new StoreSetting(
        name, required, defaultValue, pattern, List.of(allowed), kind, description);
  }

  /** The same setting, its value a whole number. */
  public StoreSetting wholeNumber() {
    return new StoreSetting(
        name, required, defaultValue, "-?[0-9]+", values, Kind.WHOLE_NUMBER, description);
  }

  /** The same setting, its value a path on the worker (relative ones resolved where written). */
  public StoreSetting localPath() {
    return new StoreSetting(name, required, defaultValue, pattern, values, Kind.PATH, description);
  }
}
