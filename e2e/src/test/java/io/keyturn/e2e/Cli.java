package io.keyturn.e2e;

import io.keyturn.workflows.crypto.WorkerKeyring;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the real {@code keyturn} CLI (the shaded starter jar) as a user would. */
final class Cli {
  record Result(int exit, String out, String err) {}

  private final Map<String, String> env;

  Cli(Map<String, String> env) {
    this.env = env;
  }

  /**
   * The CLI of a user of one worker: its Temporal, the payload key they share, the worker's public
   * key (its pin, given as text) and the LiteLLM proxy.
   */
  static Cli forWorker(
      String temporalAddress, Path payloadKeyFile, WorkerKeyring worker, String litellmUrl) {
    return new Cli(
        Map.of(
            "TEMPORAL_ADDRESS",
            temporalAddress,
            "KEYTURN_PAYLOAD_KEY_FILE",
            payloadKeyFile.toString(),
            "KEYTURN_WORKER_PUBLIC_KEY",
            worker.currentPublicKey().text(),
            "LITELLM_URL",
            litellmUrl));
  }

  static Path jar() {
    Path p = Path.of(System.getProperty("keyturn.starter.jar", "../starter/target/keyturn.jar"));
    if (!Files.isRegularFile(p)) {
      throw new IllegalStateException("starter jar missing at " + p + ": run `mvn package` first");
    }
    return p;
  }

  Result run(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-jar");
    cmd.add(jar().toString());
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment()
        .keySet()
        .removeIf(
            k -> k.startsWith("TEMPORAL_") || k.startsWith("KEYTURN_") || k.startsWith("LITELLM_"));
    pb.environment().putAll(env);
    Path out = Files.createTempFile("keyturn-cli", ".out");
    Path err = Files.createTempFile("keyturn-cli", ".err");
    pb.redirectOutput(out.toFile());
    pb.redirectError(err.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new IllegalStateException(
          "keyturn " + String.join(" ", args) + " did not finish in 5 minutes");
    }
    Result r =
        new Result(
            p.exitValue(),
            Files.readString(out, StandardCharsets.UTF_8),
            Files.readString(err, StandardCharsets.UTF_8));
    Files.deleteIfExists(out);
    Files.deleteIfExists(err);
    return r;
  }
}
