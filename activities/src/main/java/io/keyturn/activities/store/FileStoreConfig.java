package io.keyturn.activities.store;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A file destination: its {@code path}, its {@code format} ({@link Format#ENV}: a {@code
 * NAME=value} line among others; {@link Format#JSON}: a field of a top-level JSON object) and the
 * {@code name} of the variable or field holding the key.
 */
public record FileStoreConfig(Path path, Format format, String name) {

  /** How the file holds the key. */
  public enum Format {
    /** A dotenv file: {@code NAME=value} lines, comments and other lines kept as they are. */
    ENV,
    /** A JSON object: {@code {"name": "value", ...}}, other fields kept. */
    JSON
  }

  public FileStoreConfig {
    if (path == null || path.toString().isBlank()) {
      throw new IllegalArgumentException(
          "file store: 'path' must name the file to write, e.g. /etc/myapp/litellm.env");
    }
    path = path.toAbsolutePath().normalize();
    if (path.getFileName() == null) {
      throw new IllegalArgumentException("file store: 'path' must name a file, not " + path);
    }
    if (format == null) {
      throw new IllegalArgumentException("file store: 'format' must be env or json");
    }
    if (format == Format.ENV) {
      name = name == null || name.isBlank() ? "LITELLM_API_KEY" : name.trim();
      if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new IllegalArgumentException(
            "file store: 'name' must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*), got '"
                + name
                + "'");
      }
    } else {
      name = name == null || name.isBlank() ? "key" : name;
    }
  }

  /**
   * Settings {@code path}, {@code format} ({@code env} or {@code json}; default from the file name:
   * {@code .json} means json) and {@code name}.
   */
  public static FileStoreConfig fromSettings(Map<String, String> settings) {
    Settings.only(FileStore.TYPE, settings, Set.of("path", "format", "name", "field"));
    if (settings.get("name") != null && settings.get("field") != null) {
      throw new IllegalArgumentException(
          "file store: 'field' and 'name' mean the same entry; give one of them");
    }
    String p = settings.get("path");
    if (p == null || p.isBlank()) {
      throw new IllegalArgumentException(
          "file store: 'path' must name the file to write, e.g. /etc/myapp/litellm.env");
    }
    String f = settings.get("format");
    Format format;
    if (f == null || f.isBlank()) {
      format = p.endsWith(".json") ? Format.JSON : Format.ENV;
    } else {
      try {
        format = Format.valueOf(f.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "file store: 'format' must be env or json, got '" + f + "'");
      }
    }
    String entry = settings.get("field") != null ? settings.get("field") : settings.get("name");
    return new FileStoreConfig(Path.of(p), format, entry);
  }
}
