package io.keyturn.starter.checks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The LiteLLM management key a command found, and where, as a fix should name it. Read, never
 * printed.
 */
public record ManagementKey(String value, String place) {
  static final String FILE_ENV = "LITELLM_MASTER_KEY_FILE";
  static final String ENV = "LITELLM_MASTER_KEY";

  /**
   * The default places, as the worker reads them: {@code $LITELLM_MASTER_KEY_FILE} (a file holding
   * it), else {@code $LITELLM_MASTER_KEY}. Null when neither is set.
   *
   * @throws IllegalStateException when the named file is empty or cannot be read
   */
  public static ManagementKey fromEnvironment(Map<String, String> env) {
    String file = env.get(FILE_ENV);
    if (file != null && !file.isBlank()) {
      return new ManagementKey(readFile(Path.of(file.strip()), FILE_ENV), "$" + FILE_ENV);
    }
    String v = env.get(ENV);
    return v == null || v.isBlank() ? null : new ManagementKey(v.strip(), "$" + ENV);
  }

  /** A key file's content; IllegalStateException says what is wrong, naming {@code where}. */
  public static String readFile(Path p, String where) {
    try {
      String v = Files.readString(p, StandardCharsets.UTF_8).strip();
      if (v.isEmpty()) {
        throw new IllegalStateException(where + " " + p + " is empty");
      }
      return v;
    } catch (IOException e) {
      throw new IllegalStateException(
          where + " " + p + " cannot be read: " + e.getClass().getSimpleName());
    }
  }

  @Override
  public String toString() {
    return "ManagementKey[from " + place + "]";
  }
}
