package io.keyturn.starter.config;

import java.nio.file.Path;

/**
 * One thing wrong with a configuration: where (file and field path, such as {@code
 * secrets[0].schedule.every}), what, and what to do about it.
 */
public record ConfigProblem(Path file, String field, String message, String fix) {
  @Override
  public String toString() {
    return (file == null ? "" : file + ": ")
        + (field == null || field.isEmpty() ? "" : field + ": ")
        + message
        + (fix == null ? "" : " Fix: " + fix);
  }
}
