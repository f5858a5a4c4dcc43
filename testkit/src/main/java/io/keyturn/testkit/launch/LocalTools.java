package io.keyturn.testkit.launch;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the binaries that {@code scripts/install-tools.sh} installs into {@code .tools/bin}.
 *
 * <p>Looks, in order, in {@code ${keyturn.tools}/bin} (system property), in {@code .tools/bin} of
 * {@code user.dir} or any directory above it (so a test run from a module directory finds the
 * repository's tools), then on {@code PATH}.
 */
public final class LocalTools {

  /** System property naming the tools directory (the one holding {@code bin/}). */
  public static final String TOOLS_PROPERTY = "keyturn.tools";

  private LocalTools() {}

  /**
   * Returns the executable {@code name}.
   *
   * @throws IllegalStateException naming every place looked in, when none has it
   */
  public static Path find(String name) {
    List<Path> candidates = candidates(name);
    for (Path candidate : candidates) {
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate.toAbsolutePath();
      }
    }
    throw new IllegalStateException(
        name
            + " not found; looked in "
            + candidates
            + ". Run scripts/install-tools.sh (it installs into .tools/bin), or set -D"
            + TOOLS_PROPERTY
            + "=<dir holding bin/"
            + name
            + ">.");
  }

  /**
   * The directory {@code name} below a tools directory ({@code ${keyturn.tools}/<name>}, then
   * {@code .tools/<name>} of {@code user.dir} or a directory above it), e.g. {@code py-moto}, or
   * empty when there is none.
   */
  public static Optional<Path> findDirectory(String name) {
    List<Path> candidates = new ArrayList<>();
    String tools = System.getProperty(TOOLS_PROPERTY);
    if (tools != null && !tools.isBlank()) {
      candidates.add(Path.of(tools, name));
    }
    for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        dir != null;
        dir = dir.getParent()) {
      candidates.add(dir.resolve(".tools").resolve(name));
    }
    return candidates.stream().filter(Files::isDirectory).map(Path::toAbsolutePath).findFirst();
  }

  private static List<Path> candidates(String name) {
    List<Path> candidates = new ArrayList<>();
    String tools = System.getProperty(TOOLS_PROPERTY);
    if (tools != null && !tools.isBlank()) {
      candidates.add(Path.of(tools, "bin", name));
    }
    for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        dir != null;
        dir = dir.getParent()) {
      candidates.add(dir.resolve(".tools").resolve("bin").resolve(name));
    }
    String path = System.getenv("PATH");
    if (path != null) {
      for (String entry : path.split(File.pathSeparator)) {
        if (!entry.isEmpty()) {
          candidates.add(Path.of(entry, name));
        }
      }
    }
    return candidates;
  }
}
