package io.keyturn.activities.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.crypto.KeyMaterial;
import io.keyturn.workflows.store.FileStoreConfig;
import io.temporal.failure.ApplicationFailure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link FileStore} on the real file system, in both formats and without restore. */
class FileStoreTest {
  @TempDir static Path dir;
  static final AtomicInteger n = new AtomicInteger();

  static Path freshFile(String suffix) {
    return dir.resolve("app-" + n.incrementAndGet() + suffix);
  }

  /** Writes into a directory that does not exist, so every write fails. */
  static SecretStore failing(FileStoreConfig.Format format) {
    return new FileStore(
        new FileStoreConfig(dir.resolve("no-such-dir").resolve("app.env"), format, null));
  }

  @Nested
  class EnvFormat extends SecretStoreContractTest {
    @Override
    protected SecretStore newStore() {
      return new FileStore(
          new FileStoreConfig(freshFile(".env"), FileStoreConfig.Format.ENV, "LITELLM_API_KEY"));
    }

    @Override
    protected SecretStore failingStore() {
      return failing(FileStoreConfig.Format.ENV);
    }
  }

  @Nested
  class JsonFormat extends SecretStoreContractTest {
    @Override
    protected SecretStore newStore() {
      return new FileStore(
          new FileStoreConfig(freshFile(".json"), FileStoreConfig.Format.JSON, "api_key"));
    }

    @Override
    protected SecretStore failingStore() {
      return failing(FileStoreConfig.Format.JSON);
    }
  }

  /** The whole file is the key: the worker's LITELLM_MASTER_KEY_FILE. */
  @Nested
  class RawFormat extends SecretStoreContractTest {
    @Override
    protected SecretStore newStore() {
      return new FileStore(
          new FileStoreConfig(freshFile(".key"), FileStoreConfig.Format.RAW, null));
    }

    @Override
    protected SecretStore failingStore() {
      return failing(FileStoreConfig.Format.RAW);
    }
  }

  @Test
  void aRawFileHoldsOnlyTheKeyAsTheWorkerReadsIt() throws Exception {
    Path file = freshFile(".key");
    java.nio.file.Files.writeString(file, "sk-old-management-key-0123456789\n");
    FileStore store = new FileStore(new FileStoreConfig(file, FileStoreConfig.Format.RAW, null));
    assertThat(store.location()).isEqualTo("file " + file);
    String key = "sk-new-management-key-abcdefghij";
    store.write(key, new RotationContext("rotation/mgmt", "g2"));
    assertThat(io.keyturn.workflows.crypto.SecretFiles.read(file, "LITELLM_MASTER_KEY_FILE"))
        .isEqualTo(key);
  }

  /** Without a POSIX file system there is no safe sidecar, so restore is refused. */
  @Nested
  class WithoutSidecar extends SecretStoreContractTest {
    @Override
    protected SecretStore newStore() {
      return new FileStore(
          new FileStoreConfig(freshFile(".env"), FileStoreConfig.Format.ENV, null), false);
    }

    @Override
    protected SecretStore failingStore() {
      return failing(FileStoreConfig.Format.ENV);
    }

    @Override
    protected boolean restoreExpected() {
      return false;
    }
  }

  @Test
  void anEnvFileKeepsItsOtherLinesAndGetsMode0600() throws Exception {
    Path file = freshFile(".env");
    Files.writeString(
        file, "# app settings\nexport LITELLM_API_KEY=sk-old-value-0000\nBASE_URL=http://proxy\n");
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    FileStore store =
        new FileStore(new FileStoreConfig(file, FileStoreConfig.Format.ENV, "LITELLM_API_KEY"));
    String key = SecretStoreContractTest.newKey();

    store.write(key, SecretStoreContractTest.rotation("g1"));

    assertThat(Files.readString(file))
        .isEqualTo("# app settings\nexport LITELLM_API_KEY=" + key + "\nBASE_URL=http://proxy\n");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
        .isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(store.sidecar())))
        .isEqualTo("rw-------");
    // No temporary file is left behind.
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(s -> s.endsWith(".tmp"));
    }

    store.restorePrevious(KeyMaterial.tokenHash(key));
    assertThat(Files.readString(file)).contains("export LITELLM_API_KEY=sk-old-value-0000\n");
    assertThat(store.sidecar()).doesNotExist();

    store.delete();
    assertThat(Files.readString(file)).isEqualTo("# app settings\nBASE_URL=http://proxy\n");
  }

  @Test
  void aFileInAMissingDirectoryFailsTheCheckBeforeAnythingIsMinted() {
    Path file = dir.resolve("no-such-dir").resolve("app.env");
    FileStore store =
        new FileStore(new FileStoreConfig.Type().parse(Map.of("path", file.toString())));
    // Reading finds nothing, which alone would look like a usable, empty destination.
    assertThat(store.currentFingerprint()).isEmpty();
    assertThatThrownBy(store::checkUsable)
        .isInstanceOfSatisfying(
            ApplicationFailure.class, f -> assertThat(f.isNonRetryable()).isTrue())
        .hasMessageContaining("directory " + file.getParent() + " does not exist");
    // A file that does not exist yet in a directory that does is fine.
    new FileStore(
            new FileStoreConfig.Type().parse(Map.of("path", dir.resolve("new.env").toString())))
        .checkUsable();
  }

  @Test
  void quotedValuesAreReadAndAwkwardValuesAreQuoted() throws Exception {
    Path file = freshFile(".env");
    Files.writeString(file, "TOKEN=\"sk-quoted-1234\"\n");
    FileStore store = new FileStore(new FileStoreConfig(file, FileStoreConfig.Format.ENV, "TOKEN"));
    assertThat(store.currentFingerprint()).contains(KeyMaterial.tokenHash("sk-quoted-1234"));

    store.write("a value with \"quotes\" and spaces", SecretStoreContractTest.rotation("g1"));
    assertThat(Files.readString(file))
        .isEqualTo("TOKEN=\"a value with \\\"quotes\\\" and spaces\"\n");
    assertThat(store.currentFingerprint())
        .contains(KeyMaterial.tokenHash("a value with \"quotes\" and spaces"));
  }

  @Test
  void aJsonFileKeepsItsOtherFields() throws Exception {
    Path file = freshFile(".json");
    Files.writeString(file, "{\"base_url\": \"http://proxy\", \"timeout\": 30}");
    FileStore store =
        new FileStore(new FileStoreConfig.Type().parse(Map.of("path", file.toString())));
    String key = SecretStoreContractTest.newKey();

    store.write(key, SecretStoreContractTest.rotation("g1"));

    assertThat(new ObjectMapper().readTree(file.toFile()))
        .isEqualTo(
            new ObjectMapper()
                .readTree(
                    "{\"base_url\": \"http://proxy\", \"timeout\": 30, \"key\": \"" + key + "\"}"));
  }

  @Test
  void aJsonFileThatIsNotAnObjectIsRefusedWithoutQuotingIt() throws Exception {
    Path file = freshFile(".json");
    Files.writeString(file, "[\"sk-inside-a-list-0000\"");
    FileStore store = new FileStore(new FileStoreConfig(file, FileStoreConfig.Format.JSON, "key"));
    assertThatThrownBy(
            () -> store.write("sk-new-value-0000000", SecretStoreContractTest.rotation("g1")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(RotationFailures.STORE_UNREADABLE);
              assertThat(f.isNonRetryable()).isTrue();
              assertThat(f.getOriginalMessage())
                  .contains(file.toString())
                  .doesNotContain("sk-inside-a-list")
                  .doesNotContain("sk-new-value");
            });
    assertThat(Files.readString(file)).isEqualTo("[\"sk-inside-a-list-0000\"");
  }

  @Test
  void settingsAreValidatedWithTheFieldAndTheFix() {
    assertThatThrownBy(() -> new FileStoreConfig.Type().parse(Map.of()))
        .hasMessageContaining("'path'");
    assertThatThrownBy(
            () -> new FileStoreConfig.Type().parse(Map.of("path", "/x", "format", "yaml")))
        .hasMessageContaining("'format' must be one of [env, json, raw]");
    assertThatThrownBy(
            () -> new FileStoreConfig(Path.of("/x.env"), FileStoreConfig.Format.ENV, "MY-KEY"))
        .hasMessageContaining("'name'");
    assertThat(new FileStoreConfig.Type().parse(Map.of("path", "/etc/app.env")).name())
        .isEqualTo("LITELLM_API_KEY");
  }
}
