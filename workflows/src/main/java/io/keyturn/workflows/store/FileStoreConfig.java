package io.keyturn.workflows.store;

import com.google.auto.service.AutoService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

/**
 * A file destination: its {@code path}, its {@code format} ({@link Format#ENV}: a {@code
 * NAME=value} line among others; {@link Format#JSON}: a field of a top-level JSON object) and the
 * {@code name} of the variable or field holding the key.
 */
public record FileStoreConfig(Path path, Format format, String name) {

  public static final String TYPE = "file";

  /** How the file holds the key. */
  public enum Format {
    /** A dotenv file: {@code NAME=value} lines, comments and other lines kept as they are. */
    ENV,
    /** A JSON object: {@code {"name": "value", ...}}, other fields kept. */
    JSON,
    /**
     * The file holds only the key, as the worker's LITELLM_MASTER_KEY_FILE and a mounted Kubernetes
     * Secret's file do: for rotating Keyturn's own management key.
     */
    RAW
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
      throw new IllegalArgumentException("file store: 'format' must be env, json or raw");
    }
    if (format == Format.ENV) {
      name = name == null || name.isBlank() ? "LITELLM_API_KEY" : name.trim();
      if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new IllegalArgumentException(
            "file store: 'name' must be an environment variable name ([A-Za-z_][A-Za-z0-9_]*), got '"
                + name
                + "'");
      }
    } else if (format == Format.RAW) {
      name = "";
    } else {
      name = name == null || name.isBlank() ? "key" : name;
    }
  }

  /** {@code <path>#<name>}, e.g. {@code /etc/app/litellm.env#LITELLM_API_KEY}. */
  public String describe() {
    return format == Format.RAW ? path.toString() : path + "#" + name;
  }

  /** The {@value #TYPE} store type. */
  @AutoService(StoreType.class)
  public static final class Type extends StoreType<FileStoreConfig> {
    public Type() {
      super(
          TYPE,
          "A file on the worker: atomic replace, mode 0600, other lines kept; the previous value"
              + " is kept in a 0600 sidecar so a failed rotation can put it back.",
          StoreSetting.required("path", "the file to write, e.g. /etc/myapp/litellm.env")
              .localPath(),
          StoreSetting.optional(
                  "format",
                  null,
                  "env (a NAME=value line), json (a field) or raw (the file holds only the key);"
                      + " default from the name")
              .oneOf("env", "json", "raw"),
          StoreSetting.optional(
              "field",
              null,
              "the variable (env, default LITELLM_API_KEY) or field (json, default key) holding the"
                  + " key"));
    }

    @Override
    protected FileStoreConfig build(Map<String, String> v) {
      String p = v.get("path");
      String f = v.get("format");
      Format format =
          f == null
              ? (p.endsWith(".json") ? Format.JSON : Format.ENV)
              : Format.valueOf(f.toUpperCase(Locale.ROOT));
      return new FileStoreConfig(Path.of(p), format, v.get("field"));
    }

    @Override
    public String describe(FileStoreConfig c) {
      return c.describe();
    }

    @Override
    public Problem checkFromHere(FileStoreConfig c, Map<String, String> env, Duration timeout) {
      Path parent = c.path().getParent();
      if (parent == null || !Files.isDirectory(parent)) {
        return new Problem(
            "path",
            "the directory " + parent + " does not exist, so " + c.path() + " cannot be written.",
            "create the directory, or pass --skip-checks if the worker runs on another machine.");
      }
      return null;
    }
  }
}
