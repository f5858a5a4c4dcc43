package io.keyturn.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The real worker, as its own JVM from the shaded jar, with its output in a log file. */
final class WorkerProcess implements AutoCloseable {
  private final Map<String, String> env;
  private final Path log;
  private Process process;

  WorkerProcess(Map<String, String> env, Path log) {
    this.env = env;
    this.log = log;
  }

  static Path jar() {
    Path p =
        Path.of(System.getProperty("keyturn.worker.jar", "../worker/target/keyturn-worker.jar"));
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("worker jar missing at " + p + ": run `mvn package` first");
    }
    return p;
  }

  WorkerProcess start() throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-Xmx256m",
            "-jar",
            jar().toString());
    pb.environment()
        .keySet()
        .removeIf(
            k ->
                k.startsWith("TEMPORAL_")
                    || k.startsWith("VAULT_")
                    || k.startsWith("LITELLM_")
                    || k.startsWith("KEYTURN_"));
    // Tests never bind a fixed port: metrics and the codec endpoint are off unless a test asks.
    pb.environment().put("KEYTURN_METRICS_PORT", "0");
    pb.environment().put("KEYTURN_CODEC_PORT", "0");
    pb.environment().putAll(env);
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    long before = Files.exists(log) ? Files.size(log) : 0;
    process = pb.start();
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (Instant.now().isBefore(deadline)) {
      String out = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
      if (out.length() > before && out.substring((int) before).contains("Keyturn worker started")) {
        return this;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            "worker exited with " + process.exitValue() + ":\n" + out.substring((int) before));
      }
      Thread.sleep(200);
    }
    throw new IllegalStateException("worker did not start within 60 s; see " + log);
  }

  /** Like a crash or an OOM kill: no shutdown hook runs. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(20, TimeUnit.SECONDS);
  }

  /** SIGTERM: the graceful path. Returns the exit code. */
  int stop() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(45, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    return process.exitValue();
  }

  String log() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  @Override
  public void close() throws InterruptedException {
    if (process != null && process.isAlive()) {
      stop();
    }
  }
}
