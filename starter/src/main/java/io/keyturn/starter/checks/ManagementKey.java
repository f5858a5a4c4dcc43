package io.keyturn.starter.checks;

import io.keyturn.workflows.crypto.SecretFiles;
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
   * @throws IllegalStateException when the named file is missing, empty or cannot be read
   */
  public static ManagementKey fromEnvironment(Map<String, String> env) {
    String file = env.get(FILE_ENV);
    if (file != null && !file.isBlank()) {
      try {
        return new ManagementKey(SecretFiles.read(Path.of(file.strip()), FILE_ENV), "$" + FILE_ENV);
      } catch (IllegalArgumentException e) {
        throw new IllegalStateException(e.getMessage());
      }
    }
    String v = env.get(ENV);
    return v == null || v.isBlank() ? null : new ManagementKey(v.strip(), "$" + ENV);
  }

  @Override
  public String toString() {
    return "ManagementKey[from " + place + "]";
  }
}
