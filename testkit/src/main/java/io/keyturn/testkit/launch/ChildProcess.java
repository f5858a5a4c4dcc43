package io.keyturn.testkit.launch;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A server started as a child process, its output appended to a log file through a filter (so a
 * secret the server prints never reaches the file). Stopping sends SIGTERM, then SIGKILL.
 */
final class ChildProcess {

  /** How long a server gets to shut down after SIGTERM before it is killed. */
  static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private static final Set<ChildProcess> RUNNING = ConcurrentHashMap.newKeySet();

  static {
    // A test JVM that exits without closing its servers must not leave them running. SIGTERM, so
    // the Temporal dev server still closes its SQLite file cleanly.
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> RUNNING.forEach(p -> p.process.toHandle().destroy()), "launch-reaper"));
  }

  private final String name;
  private final Process process;
  private final Path logFile;
  private final Thread pump;

  private ChildProcess(String name, Process process, Path logFile, Thread pump) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
    this.pump = pump;
  }

  /**
   * Starts {@code command} with exactly {@code env} as its environment, stdout and stderr appended
   * to {@code logFile} line by line after {@code filter}.
   */
  static ChildProcess start(
      String name,
      List<String> command,
      Map<String, String> env,
      Path logFile,
      UnaryOperator<String> filter)
      throws IOException {
    Files.createDirectories(logFile.toAbsolutePath().getParent());
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(env);
    builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    BufferedWriter log =
        Files.newBufferedWriter(
            logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    Process process;
    try {
      process = builder.start();
    } catch (IOException e) {
      log.close();
      throw new IOException("could not start " + name + " (" + command.get(0) + ")", e);
    }
    Thread pump = new Thread(() -> copy(process, log, filter), name + "-log");
    pump.setDaemon(true);
    pump.start();
    ChildProcess child = new ChildProcess(name, process, logFile, pump);
    RUNNING.add(child);
    return child;
  }

  private static void copy(Process process, BufferedWriter log, UnaryOperator<String> filter) {
    try (log;
        BufferedReader out =
            new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        log.write(filter.apply(line));
        log.newLine();
        log.flush();
      }
    } catch (IOException e) {
      // The process went away or the log file is unwritable; either way there is nothing to copy.
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  long pid() {
    return process.pid();
  }

  int exitValue() {
    return process.exitValue();
  }

  Path logFile() {
    return logFile;
  }

  /** Stops the process: SIGTERM, then SIGKILL after {@link #STOP_GRACE}. Idempotent. */
  void stop() {
    try {
      if (process.isAlive()) {
        // Through the handle: Process.destroy() also closes our end of the output pipe, so the
        // lines a server logs while shutting down (SIGTERM's graceful path) would be lost.
        process.toHandle().destroy();
        if (!process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
          process.descendants().forEach(ProcessHandle::destroyForcibly);
          process.destroyForcibly();
          process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        }
      }
      pump.join(2_000);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    } finally {
      RUNNING.remove(this);
    }
  }

  /** SIGKILL, as a crash or an OOM kill would end it: no shutdown hook runs. Idempotent. */
  void kill() {
    try {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(STOP_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      pump.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      RUNNING.remove(this);
    }
  }

  // Once the process is gone, its last lines may still be on their way to the log file.
  private void awaitLogCopied() {
    try {
      pump.join(2_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The last {@code lines} lines of the log, for failure messages. */
  String logTail(int lines) {
    return tail(logFile, lines);
  }

  /** The last {@code lines} lines of {@code logFile}, or why it could not be read. */
  static String tail(Path logFile, int lines) {
    try {
      List<String> all = Files.readAllLines(logFile, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(log " + logFile + " unreadable: " + e.getMessage() + ")";
    }
  }

  /** Why {@code name} is not ready, with the exit code if it died and the end of its log. */
  IOException notReady(String what) {
    if (!process.isAlive()) {
      awaitLogCopied();
    }
    String state = process.isAlive() ? "still running" : "exited with code " + process.exitValue();
    return new IOException(
        name + " " + what + " (" + state + "; log " + logFile + "). Last lines:\n" + logTail(30));
  }

  /** A start that failed because another process holds a port the server needs. */
  static final class PortTakenException extends IOException {
    PortTakenException(String message) {
      super(message);
    }
  }

  /**
   * Whether a failed start is worth retrying on other ports: a port taken before the start, or a
   * bind that failed (Go says "address already in use", Python "Address already in use").
   */
  static boolean isPortClash(IOException e) {
    return e instanceof PortTakenException
        || (e.getMessage() != null
            && (e.getMessage().contains("address already in use")
                || e.getMessage().contains("Address already in use")));
  }

  /** The current environment without variables whose names start with any of {@code prefixes}. */
  static Map<String, String> environmentWithout(String... prefixes) {
    Map<String, String> env = new HashMap<>(System.getenv());
    env.keySet().removeIf(key -> List.of(prefixes).stream().anyMatch(key::startsWith));
    return env;
  }

  /** Runs a short command to completion and returns its exit code and combined output. */
  static CommandResult run(List<String> command, Map<String, String> env, Duration timeout)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().clear();
    builder.environment().putAll(env);
    builder.redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
    Process process = builder.start();
    List<String> lines = new ArrayList<>();
    Thread reader =
        new Thread(
            () -> {
              try (BufferedReader out =
                  new BufferedReader(
                      new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line = out.readLine(); line != null; line = out.readLine()) {
                  synchronized (lines) {
                    lines.add(line);
                  }
                }
              } catch (IOException e) {
                // process gone
              }
            });
    reader.setDaemon(true);
    reader.start();
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly();
        throw new IOException("timed out after " + timeout + ": " + String.join(" ", command));
      }
      reader.join(2_000);
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted running " + command.get(0));
    }
    synchronized (lines) {
      return new CommandResult(process.exitValue(), String.join("\n", lines));
    }
  }
}
