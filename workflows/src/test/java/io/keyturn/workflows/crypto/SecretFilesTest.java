package io.keyturn.workflows.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFilesTest {
  @TempDir Path dir;

  @Test
  void readsStrippedAndRereadsOnEachUse() throws Exception {
    Path f = dir.resolve("token");
    Files.writeString(f, "  first-token\n");
    Supplier<String> s = SecretFiles.source("", f.toString(), "X_FILE");
    assertThat(s.get()).isEqualTo("first-token");
    Files.writeString(f, "second-token");
    assertThat(s.get()).isEqualTo("second-token");
    assertThat(SecretFiles.source(" value ", f.toString(), "X_FILE").get()).isEqualTo("value");
    assertThat(SecretFiles.source(null, "", "X_FILE").get()).isNull();
  }

  @Test
  void aWrongFileIsNamedNeverShown() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty"), "\n");
    Path big = Files.write(dir.resolve("big"), new byte[(int) SecretFiles.MAX_BYTES + 1]);
    assertThatThrownBy(() -> SecretFiles.read(dir.resolve("none"), "X_FILE"))
        .hasMessage("X_FILE " + dir.resolve("none") + " does not exist");
    assertThatThrownBy(() -> SecretFiles.read(empty, "X_FILE")).hasMessageEndingWith("is empty");
    assertThatThrownBy(() -> SecretFiles.read(big, "--key-file"))
        .hasMessageContaining("--key-file")
        .hasMessageContaining("should hold only the secret");
  }
}
