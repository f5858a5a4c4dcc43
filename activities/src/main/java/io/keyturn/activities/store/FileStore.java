package io.keyturn.activities.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.auto.service.AutoService;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.store.FileStoreConfig;
import io.keyturn.workflows.store.StoreType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key in a local file: a {@code NAME=value} line of a dotenv file (other lines kept as they are)
 * or a field of a JSON object (other fields kept). Every change replaces the whole file atomically:
 * a temporary file in the same directory, created with mode 0600, flushed to disk, then moved over
 * the original with {@code ATOMIC_MOVE}, so a reader sees the old file or the new one, never half.
 * The file ends up with mode 0600 whatever it had before.
 *
 * <p>Restore: on a POSIX file system each write first records the value it replaces in a sidecar,
 * {@code .<file name>.keyturn-previous} beside the file, itself written atomically with mode 0600
 * (so it is as readable as the file itself, and no more). On other file systems mode 0600 cannot be
 * guaranteed, no sidecar is kept and {@link #supportsRestore()} is false. A file has no versions:
 * version ids in receipts are the first 12 hex digits of the value's fingerprint.
 *
 * <p>One writer per file is assumed: two workers writing the same file at once are not detected.
 */
public final class FileStore implements SecretStore {
  public static final String TYPE = FileStoreConfig.TYPE;

  private static final Logger log = LoggerFactory.getLogger(FileStore.class);
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final Pattern SAFE_UNQUOTED = Pattern.compile("[A-Za-z0-9_\\-./+=:@,]*");

  private final FileStoreConfig config;
  private final Path file;
  private final Path sidecar;
  private final boolean posix;
  private final Pattern assignment;

  public FileStore(FileStoreConfig config) {
    this(config, FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
  }

  // Package-private so the contract test can prove the no-restore path on a POSIX machine.
  FileStore(FileStoreConfig config, boolean keepPreviousInSidecar) {
    this.config = Objects.requireNonNull(config, "config");
    this.file = config.path();
    this.sidecar = file.resolveSibling("." + file.getFileName() + ".keyturn-previous");
    this.posix = keepPreviousInSidecar;
    this.assignment =
        Pattern.compile("^(\\s*(?:export\\s+)?)" + Pattern.quote(config.name()) + "\\s*=(.*)$");
  }

  @Override
  public String type() {
    return TYPE;
  }

  @Override
  public String location() {
    return "file " + config.describe();
  }

  public FileStoreConfig config() {
    return config;
  }

  /** The sidecar that holds the replaced value (present only between a write and its restore). */
  public Path sidecar() {
    return sidecar;
  }

  /**
   * Sets the variable or field to {@code value} and atomically replaces the file (mode 0600), first
   * recording the replaced value in the sidecar when restore is supported. Idempotent: nothing is
   * written when the file already holds {@code value}.
   */
  @Override
  public StoreReceipt write(String value, RotationContext rotation) {
    if (value.indexOf('\n') >= 0 || value.indexOf('\r') >= 0) {
      throw new IllegalArgumentException(
          "a value for " + location() + " must be a single line; this one has a line break");
    }
    String fingerprint = KeyMaterial.tokenHash(value);
    String content = readContent().orElse("");
    Optional<String> current = valueIn(content);
    String previousFp = current.map(KeyMaterial::tokenHash).orElse("");
    if (current.isPresent() && previousFp.equals(fingerprint)) {
      return new StoreReceipt(TYPE, location(), versionOf(fingerprint), "", fingerprint, false);
    }
    if (posix) {
      ObjectNode record = JsonNodeFactory.instance.objectNode();
      record.put("replaced_by", fingerprint);
      record.put("workflow_id", rotation.workflowId());
      record.put("generation", rotation.generation());
      if (current.isPresent()) {
        record.put("previous", current.get());
      } else {
        record.putNull("previous");
      }
      replaceAtomically(sidecar, record.toString() + "\n");
    }
    replaceAtomically(file, withValue(content, value));
    log.info(
        "wrote {} to {} (was {})",
        KeyRef.shortHash(fingerprint),
        location(),
        KeyRef.shortHash(previousFp));
    return new StoreReceipt(
        TYPE, location(), versionOf(fingerprint), versionOf(previousFp), fingerprint, true);
  }

  @Override
  public Optional<String> currentFingerprint() {
    return readContent().flatMap(this::valueIn).map(KeyMaterial::tokenHash);
  }

  /**
   * The file may not exist yet, but its directory must, and the worker must be able to write it.
   */
  @Override
  public void checkUsable() {
    currentFingerprint();
    Path dir = file.toAbsolutePath().getParent();
    if (dir == null || !Files.isDirectory(dir)) {
      throw StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          "cannot write "
              + file
              + ": directory "
              + dir
              + " does not exist. Create it, or name a file in a directory that exists",
          null);
    }
    if (!Files.isWritable(dir)) {
      throw StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          "cannot write "
              + file
              + ": the worker's user may not write in "
              + dir
              + ". Give it write access there",
          null);
    }
  }

  @Override
  public Optional<String> currentValue() {
    return readContent().flatMap(this::valueIn);
  }

  @Override
  public boolean supportsRestore() {
    return posix;
  }

  /**
   * When the file holds the value whose fingerprint is {@code fingerprintToUndo}: puts back the
   * value the sidecar recorded (or removes the entry if there was none) and deletes the sidecar.
   * Idempotent: does nothing when the file holds anything else.
   */
  @Override
  public StoreReceipt restorePrevious(String fingerprintToUndo) {
    if (!posix) {
      throw new UnsupportedOperationException(
          location() + ": restore needs a POSIX file system (mode 0600 sidecar); none here");
    }
    String content = readContent().orElse("");
    String currentFp = valueIn(content).map(KeyMaterial::tokenHash).orElse("");
    if (!currentFp.equals(fingerprintToUndo)) {
      return new StoreReceipt(TYPE, location(), versionOf(currentFp), "", currentFp, false);
    }
    JsonNode record = readSidecar();
    if (record == null || !fingerprintToUndo.equals(record.path("replaced_by").asText())) {
      throw StoreFailures.nonRetryable(
          RotationFailures.STORE_UNREADABLE,
          location()
              + " holds "
              + KeyRef.shortHash(fingerprintToUndo)
              + " but "
              + sidecar
              + " has no record of the value it replaced: put the previous value back by hand",
          null);
    }
    JsonNode previous = record.path("previous");
    String restored;
    String restoredFp;
    if (previous.isTextual()) {
      restored = withValue(content, previous.asText());
      restoredFp = KeyMaterial.tokenHash(previous.asText());
    } else {
      restored = withoutValue(content);
      restoredFp = "";
    }
    replaceAtomically(file, restored);
    deleteQuietly(sidecar);
    log.info("restored {} to {}", location(), KeyRef.shortHash(restoredFp));
    return new StoreReceipt(
        TYPE, location(), versionOf(restoredFp), versionOf(currentFp), restoredFp, true);
  }

  /**
   * Removes the variable or field (the file and its other lines stay) and the sidecar. Idempotent:
   * a missing file or entry is done.
   */
  @Override
  public void delete() {
    Optional<String> content = readContent();
    if (content.isPresent() && valueIn(content.get()).isPresent()) {
      replaceAtomically(file, withoutValue(content.get()));
      log.info("removed {}", location());
    }
    deleteQuietly(sidecar);
  }

  // ---------------------------------------------------------------- formats

  private Optional<String> valueIn(String content) {
    return switch (config.format()) {
      case ENV -> envValue(content);
      case JSON -> jsonValue(content);
      case RAW -> content.isBlank() ? Optional.empty() : Optional.of(content.strip());
    };
  }

  private String withValue(String content, String value) {
    return switch (config.format()) {
      case ENV -> envWith(content, value);
      case JSON -> jsonWith(content, value);
      case RAW -> value + "\n";
    };
  }

  private String withoutValue(String content) {
    return switch (config.format()) {
      case ENV -> envWith(content, null);
      case JSON -> jsonWith(content, null);
      case RAW -> "";
    };
  }

  private Optional<String> envValue(String content) {
    String found = null;
    for (String line : content.split("\n", -1)) {
      Matcher m = assignment.matcher(line);
      if (m.matches()) {
        found = unquote(m.group(2).strip()); // dotenv: the last assignment wins
      }
    }
    return Optional.ofNullable(found);
  }

  // value null: remove every assignment of the name.
  private String envWith(String content, String value) {
    List<String> out = new ArrayList<>();
    boolean replaced = false;
    String[] lines = content.isEmpty() ? new String[0] : content.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      Matcher m = assignment.matcher(line);
      if (m.matches()) {
        if (value != null) {
          out.add(m.group(1) + config.name() + "=" + quote(value));
          replaced = true;
        }
      } else if (!(i == lines.length - 1 && line.isEmpty())) {
        out.add(line);
      }
    }
    if (value != null && !replaced) {
      out.add(config.name() + "=" + quote(value));
    }
    return out.isEmpty() ? "" : String.join("\n", out) + "\n";
  }

  private static String quote(String value) {
    if (SAFE_UNQUOTED.matcher(value).matches()) {
      return value;
    }
    return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  private static String unquote(String raw) {
    if (raw.length() >= 2 && raw.startsWith("\"") && raw.endsWith("\"")) {
      return raw.substring(1, raw.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
    }
    if (raw.length() >= 2 && raw.startsWith("'") && raw.endsWith("'")) {
      return raw.substring(1, raw.length() - 1);
    }
    int comment = raw.indexOf(" #");
    return (comment >= 0 ? raw.substring(0, comment) : raw).strip();
  }

  private Optional<String> jsonValue(String content) {
    JsonNode v = jsonObject(content).get(config.name());
    return v != null && v.isTextual() ? Optional.of(v.asText()) : Optional.empty();
  }

  private String jsonWith(String content, String value) {
    ObjectNode object = jsonObject(content);
    if (value == null) {
      object.remove(config.name());
    } else {
      object.put(config.name(), value);
    }
    try {
      return JSON.writeValueAsString(object) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot render JSON for " + location());
    }
  }

  private ObjectNode jsonObject(String content) {
    if (content.isBlank()) {
      return JsonNodeFactory.instance.objectNode();
    }
    JsonNode tree;
    try {
      tree = JSON.readTree(content);
    } catch (JsonProcessingException e) {
      // Jackson's message quotes the file's text, which may hold a key: never pass it on.
      throw StoreFailures.nonRetryable(
          RotationFailures.STORE_UNREADABLE,
          file + " is not valid JSON (line " + e.getLocation().getLineNr() + "): fix or remove it",
          null);
    }
    if (!(tree instanceof ObjectNode object)) {
      throw StoreFailures.nonRetryable(
          RotationFailures.STORE_UNREADABLE,
          file + " holds JSON that is not an object: Keyturn only writes a field of an object",
          null);
    }
    return object;
  }

  // ---------------------------------------------------------------- files

  private Optional<String> readContent() {
    try {
      return Optional.of(Files.readString(file, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw ioFailure("read", file, e);
    }
  }

  private JsonNode readSidecar() {
    try {
      return JSON.readTree(Files.readString(sidecar, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      return null;
    } catch (JsonProcessingException e) {
      return null;
    } catch (IOException e) {
      throw ioFailure("read", sidecar, e);
    }
  }

  private void replaceAtomically(Path target, String content) {
    Path dir = target.getParent();
    Path tmp = null;
    try {
      FileAttribute<?>[] attrs =
          posix
              ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(OWNER_ONLY)}
              : new FileAttribute<?>[0];
      tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp", attrs);
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ByteBuffer buf = ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      tmp = null;
    } catch (IOException e) {
      throw ioFailure("write", target, e);
    } finally {
      if (tmp != null) {
        deleteQuietly(tmp);
      }
    }
  }

  private static void deleteQuietly(Path p) {
    try {
      Files.deleteIfExists(p);
    } catch (IOException e) {
      log.warn("could not delete {}: {}", p, e.getClass().getSimpleName());
    }
  }

  private static RuntimeException ioFailure(String op, Path p, IOException e) {
    if (e instanceof AccessDeniedException) {
      return StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          "cannot "
              + op
              + " "
              + p
              + ": permission denied. Give the worker's user read and write access to "
              + p.getParent(),
          null);
    }
    if (e instanceof NoSuchFileException) {
      return StoreFailures.nonRetryable(
          RotationFailures.STORE_DENIED,
          "cannot " + op + " " + p + ": directory " + p.getParent() + " does not exist. Create it",
          null);
    }
    return StoreFailures.transientFailure(
        "cannot " + op + " " + p + ": " + e.getClass().getSimpleName(), null);
  }

  private static String versionOf(String fingerprint) {
    return fingerprint.isEmpty() ? "" : fingerprint.substring(0, 12);
  }

  /** Opens file destinations on the worker's file system. */
  @AutoService(SecretStoreProvider.class)
  public static final class Provider implements SecretStoreProvider<FileStoreConfig> {
    @Override
    public StoreType<FileStoreConfig> type() {
      return new FileStoreConfig.Type();
    }

    @Override
    public SecretStore open(FileStoreConfig config, StoreContext worker) {
      return new FileStore(config);
    }
  }
}
