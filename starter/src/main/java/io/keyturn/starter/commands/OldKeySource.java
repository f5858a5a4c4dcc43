package io.keyturn.starter.commands;

import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.crypto.SecretFiles;
import io.keyturn.workflows.model.KeyRef;
import java.io.Console;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import picocli.CommandLine.Option;

/**
 * Where the key being replaced comes from: exactly one of an environment variable, a file, stdin,
 * its token hash, or the primary destination (read by the worker). A key value is never taken from
 * the command line, where it would land in shell history and in {@code ps}; a hash is fine there.
 */
final class OldKeySource {
  /** More than any key: stdin this large holds something else. */
  private static final int MAX_BYTES = 4096;

  private static final Pattern HASH = Pattern.compile("[0-9a-fA-F]{64}");

  @Option(
      names = "--key-env",
      paramLabel = "VAR",
      description = "Read the old key from environment variable VAR.")
  String env;

  @Option(
      names = "--key-file",
      paramLabel = "PATH",
      description = "Read the old key from a file that holds only the key (mode 600).")
  Path file;

  @Option(
      names = "--key-stdin",
      description = "Read the old key from stdin (on a terminal: a prompt that does not echo).")
  boolean stdin;

  @Option(
      names = "--key-hash",
      paramLabel = "HEX",
      description =
          "The old key's token hash (64 hex digits, LiteLLM's 'token'), when you do not hold the"
              + " key itself. The old key's rejection is then checked by /key/info only.")
  String hash;

  @Option(
      names = "--key-from-destination",
      description =
          "Replace the key the primary destination holds now (the one the previous rotation"
              + " published there, e.g. scripts/demo.sh's), as a scheduled rotation does. The"
              + " worker reads it there, so the key never passes through this machine.")
  boolean fromDestination;

  /** A key as read: its reference, and its value when one was given (null for --key-hash). */
  record OldKey(KeyRef ref, String value, String source) {
    @Override
    public String toString() {
      return "OldKey[" + ref.fingerprint() + " from " + source + "]";
    }
  }

  /** Thrown for input the user must fix; the message never holds a key value. */
  static final class BadKeyInput extends RuntimeException {
    BadKeyInput(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Reads the key from the chosen source and checks it looks like a LiteLLM key.
   *
   * @param warn where to say things that are not errors (a key file others can read)
   */
  OldKey read(Map<String, String> environment, InputStream in, boolean tty, Consumer<String> warn) {
    if (fromDestination) {
      throw new IllegalStateException("--key-from-destination: the worker reads the key");
    }
    if (hash != null) {
      return fromHash();
    }
    String source;
    String value;
    if (env != null) {
      source = "environment variable " + env;
      value = environment.get(env);
      if (value == null || value.isBlank()) {
        throw new BadKeyInput(
            "environment variable "
                + env
                + " is not set or empty: export the old key in it, or use --key-file or"
                + " --key-stdin");
      }
    } else if (file != null) {
      source = "--key-file " + file;
      value = readFile(warn);
    } else {
      source = "stdin";
      value = readStdin(in, tty);
    }
    value = value.strip();
    if (!KeyMaterial.looksLikeKey(value)) {
      throw new BadKeyInput(
          "the value from "
              + source
              + " does not look like a LiteLLM virtual key (expected 'sk-' then 8 to 200 letters,"
              + " digits, '_' or '-', and nothing else); the value is not shown here."
              + (HASH.matcher(value).matches()
                  ? " It looks like a token hash: pass it with --key-hash."
                  : " Check that it holds the key alone."));
    }
    return new OldKey(KeyMaterial.ref(value), value, source);
  }

  private OldKey fromHash() {
    String h = hash.strip();
    if (KeyMaterial.looksLikeKey(h)) {
      throw new BadKeyInput(
          "--key-hash was given a key value, not its hash: do not put keys on the command line"
              + " (shell history, ps). Pass the key with --key-env, --key-file or --key-stdin,"
              + " or give the 64-hex-digit token hash");
    }
    if (!HASH.matcher(h).matches()) {
      throw new BadKeyInput(
          "--key-hash must be the 64 hex digits of the key's sha256 (LiteLLM's 'token', as"
              + " /key/list shows it); got "
              + h.length()
              + " characters");
    }
    return new OldKey(new KeyRef(h.toLowerCase(Locale.ROOT), null), null, "--key-hash");
  }

  /** The file's content ({@link SecretFiles} refuses a missing, empty or oversized one). */
  private String readFile(Consumer<String> warn) {
    try {
      String value = SecretFiles.read(file, "--key-file");
      warnIfShared(warn);
      return value;
    } catch (IllegalArgumentException e) {
      throw new BadKeyInput(e.getMessage());
    }
  }

  private void warnIfShared(Consumer<String> warn) {
    try {
      Set<PosixFilePermission> p = Files.getPosixFilePermissions(file);
      if (p.contains(PosixFilePermission.GROUP_READ)
          || p.contains(PosixFilePermission.OTHERS_READ)) {
        warn.accept(
            "warning: "
                + file
                + " can be read by other users; `chmod 600 "
                + file
                + "` keeps the key to yourself");
      }
    } catch (IOException | UnsupportedOperationException e) {
      // Not a POSIX file system, or no permission to look: nothing to say.
    }
  }

  private static String readStdin(InputStream in, boolean tty) {
    Console console = tty ? System.console() : null;
    if (console != null && in == System.in) {
      char[] typed = console.readPassword("Old LiteLLM key (not echoed): ");
      if (typed == null) {
        throw new BadKeyInput("no key was typed on stdin");
      }
      return new String(typed);
    }
    try {
      byte[] bytes = in.readNBytes(MAX_BYTES + 1);
      if (bytes.length > MAX_BYTES) {
        throw new BadKeyInput("stdin holds more than " + MAX_BYTES + " bytes: send only the key");
      }
      if (bytes.length == 0) {
        throw new BadKeyInput(
            "stdin was empty: pipe the old key in, e.g. `pass show app | keyturn rotate ... --key-stdin`");
      }
      return new String(bytes, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new BadKeyInput("cannot read the old key from stdin: " + e.getClass().getSimpleName());
    }
  }
}
