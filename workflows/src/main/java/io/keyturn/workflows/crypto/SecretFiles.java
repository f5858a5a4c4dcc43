package io.keyturn.workflows.crypto;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * Files that hold one secret (a key, a token, a keyring): the one reader every Keyturn process
 * uses. The value is stripped of surrounding whitespace; an empty, missing, unreadable or oversized
 * file is refused with a message naming what the file was for and where it is, never its content.
 */
public final class SecretFiles {
  /** Larger than any key, token or keyring Keyturn reads; a bigger file is the wrong file. */
  public static final long MAX_BYTES = 64 * 1024;

  private SecretFiles() {}

  /**
   * Reads {@code file}, or throws IllegalArgumentException saying what is wrong with it.
   *
   * @param what what the file is for, as the message should name it: {@code
   *     "LITELLM_MASTER_KEY_FILE"}, {@code "--key-file"}
   */
  public static String read(Path file, String what) {
    String where = what + " " + file;
    try {
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw new IllegalArgumentException(
            where + " is " + size + " bytes: it should hold only the secret");
      }
      String v = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (v.isEmpty()) {
        throw new IllegalArgumentException(where + " is empty");
      }
      return v;
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(where + " does not exist", e);
    } catch (AccessDeniedException e) {
      throw new IllegalArgumentException(where + " cannot be read: permission denied", e);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          where + " cannot be read: " + e.getClass().getSimpleName(), e);
    }
  }

  /**
   * A secret given as a value or as a file: the value when it is set, else the file read at each
   * use (so a rotated key or token is picked up without a restart), else null.
   */
  public static Supplier<String> source(String value, String file, String what) {
    if (value != null && !value.isBlank()) {
      String v = value.strip();
      return () -> v;
    }
    if (file == null || file.isBlank()) {
      return () -> null;
    }
    Path p = Path.of(file);
    return () -> read(p, what);
  }
}
