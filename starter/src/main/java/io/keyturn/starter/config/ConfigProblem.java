package io.keyturn.starter.config;

import java.nio.file.Path;

/**
 * One thing wrong with a configuration: where (file and field path, such as {@code
 * secrets[0].schedule.every}, or {@code line:column} for a YAML syntax error), what, and what to do
 * about it.
 */
public record ConfigProblem(Path file, String field, String message, String fix) {
  @Override
  public String toString() {
    if (file != null && field != null && field.matches("\\d+:\\d+")) {
      // A position in the file: file:line:column, as compilers and editors print it.
      return file + ":" + field + ": " + message + (fix == null ? "" : " Fix: " + fix);
    }
    return (file == null ? "" : file + ": ")
        + (field == null || field.isEmpty() ? "" : field + ": ")
        + message
        + (fix == null ? "" : " Fix: " + fix);
  }
}
