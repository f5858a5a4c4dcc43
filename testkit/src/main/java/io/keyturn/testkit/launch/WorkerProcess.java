package io.keyturn.testkit.launch;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The real Keyturn worker, as its own JVM from the shaded jar, its output appended to a log file.
 * Not a test double: the process users run. The environment is the caller's {@code env} on top of
 * this process's, without any {@code TEMPORAL_}, {@code VAULT_}, {@code LITELLM_} or {@code
 * KEYTURN_} variable of the developer's; metrics and the codec endpoint are off unless {@code env}
 * turns them on, so nothing binds a fixed port.
 *
 * <pre>{@code
 * WorkerProcess worker = new WorkerProcess(env, dir.resolve("worker.log")).start();
 * worker.kill();  // SIGKILL, like a crash
 * worker.start(); // the same settings, the same log (appended)
 * }</pre>
 */
public final class WorkerProcess implements AutoCloseable {
  /** System property naming the worker jar; default {@code worker/target/keyturn-worker.jar}. */
  public static final String JAR_PROPERTY = "keyturn.worker.jar";

  /** The line the worker logs once it polls its task queue. */
  public static final String STARTED = "Keyturn worker started";

  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

  private final Map<String, String> env;
  private final Path log;
  private final List<String> jvmOptions;
  private ChildProcess process;
  private long startedAt;

  /** A worker with {@code env} on top of the defaults, logging to {@code log}, heap 256 MiB. */
  public WorkerProcess(Map<String, String> env, Path log) {
    this(env, log, List.of("-Xmx256m"));
  }

  public WorkerProcess(Map<String, String> env, Path log, List<String> jvmOptions) {
    this.env = Map.copyOf(env);
    this.log = log.toAbsolutePath();
    this.jvmOptions = List.copyOf(jvmOptions);
  }

  /**
   * The shaded worker jar: {@value #JAR_PROPERTY}, else {@code worker/target/keyturn-worker.jar}
   * below the working directory or its parent (a module's tests run in the module).
   */
  public static Path jar() {
    String named = System.getProperty(JAR_PROPERTY);
    List<Path> candidates =
        named != null
            ? List.of(Path.of(named))
            : List.of(
                Path.of("worker/target/keyturn-worker.jar"),
                Path.of("../worker/target/keyturn-worker.jar"));
    for (Path p : candidates) {
      if (Files.isRegularFile(p)) {
        return p;
      }
    }
    throw new IllegalStateException(
        "worker jar missing at " + candidates + ": run `mvn package` first");
  }

  /** Starts the worker and waits until it logs {@value #STARTED}; returns this. */
  public WorkerProcess start() throws IOException, InterruptedException {
    launch();
    return awaitStarted();
  }

  /**
   * Starts the worker's JVM and returns at once, so a caller can kill it during its start-up.
   *
   * @throws IllegalStateException if it is already running
   */
  public synchronized WorkerProcess launch() throws IOException {
    if (isAlive()) {
      throw new IllegalStateException("worker already running (pid " + process.pid() + ")");
    }
    Map<String, String> environment =
        ChildProcess.environmentWithout("TEMPORAL_", "VAULT_", "LITELLM_", "KEYTURN_");
    environment.put("KEYTURN_METRICS_PORT", "0");
    environment.put("KEYTURN_CODEC_PORT", "0");
    environment.putAll(env);
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmOptions);
    command.addAll(List.of("-jar", jar().toString()));
    startedAt = Files.exists(log) ? Files.size(log) : 0;
    process =
        ChildProcess.start("Keyturn worker", command, environment, log, UnaryOperator.identity());
    return this;
  }

  /** Waits until the process started last logs {@value #STARTED}; returns this. */
  public WorkerProcess awaitStarted() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      ChildProcess p;
      synchronized (this) {
        p = process;
      }
      if (p == null) {
        throw new IllegalStateException("worker not launched");
      }
      if (hasStarted()) {
        return this;
      }
      if (!p.isAlive()) {
        throw p.notReady("exited before it started");
      }
      Thread.sleep(200);
    }
    throw new InterruptedIOException(
        "worker did not start within " + START_TIMEOUT + "; see " + log);
  }

  /** Whether the process started last has logged {@value #STARTED} (it may have died since). */
  public boolean hasStarted() throws IOException {
    long from;
    synchronized (this) {
      if (process == null) {
        return false;
      }
      from = startedAt;
    }
    byte[] out = Files.exists(log) ? Files.readAllBytes(log) : new byte[0];
    return out.length > from
        && new String(out, (int) from, out.length - (int) from, StandardCharsets.ISO_8859_1)
            .contains(STARTED);
  }

  /** SIGKILL, like a crash or an OOM kill: no shutdown hook runs. Idempotent. */
  public synchronized void kill() {
    if (process != null) {
      process.kill();
    }
  }

  /** SIGTERM, the graceful path (SIGKILL after 10 s). Returns the exit code, or -1 if none ran. */
  public synchronized int stop() {
    if (process == null) {
      return -1;
    }
    process.stop();
    return process.exitValue();
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  /** The process id of the worker started last. */
  public synchronized long pid() {
    if (process == null) {
      throw new IllegalStateException("worker not launched");
    }
    return process.pid();
  }

  /** Everything every worker started by this object wrote, in order. */
  public String log() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  public Path logFile() {
    return log;
  }

  @Override
  public void close() {
    stop();
  }
}
