package io.keyturn.testkit.litellm;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the LiteLLM management-API emulator as a process, for the demo and for trying Keyturn by
 * hand. Secrets are read from files and written to files (mode 0600), never printed.
 */
public final class LiteLlmEmulatorMain {
  private LiteLlmEmulatorMain() {}

  static final String USAGE =
      """
      keyturn-testkit: the LiteLLM management-API EMULATOR (a Keyturn test double, not a LiteLLM proxy)

      Usage: java -jar keyturn-testkit-all.jar --master-key-file FILE [options]

        --master-key-file FILE   the master key (starts with sk-); required
        --port N                 port on 127.0.0.1 (default 4000; 0 picks a free one)
        --host ADDR              interface to bind (default 127.0.0.1)
        --models a,b,c           models the proxy serves (default gpt-4o-mini,claude-haiku)
        --licensed               Enterprise mode: regenerate and premium fields work
        --mgmt-rps N             cap /key/* calls at N per second (429 beyond); 0 = off
        --latency-ms N           delay every answer by N ms
        --seed-alias NAME        create one key with this alias at start
        --seed-models a,b        ... with these models
        --seed-key-out FILE      ... and write its raw value to FILE (mode 0600)

      Example:
        openssl rand -hex 16 | sed 's/^/sk-/' > master.key
        java -jar keyturn-testkit-all.jar --master-key-file master.key --seed-alias demo-app \\
          --seed-key-out demo-app.key
      """;

  public static void main(String[] args) throws Exception {
    int code = run(args, System.out, System.err);
    if (code != 0) {
      System.exit(code);
    }
  }

  static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
    Map<String, String> opts = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        out.print(USAGE);
        return 0;
      }
      if (a.equals("--licensed")) {
        opts.put(a, "true");
        continue;
      }
      if (!a.startsWith("--") || i + 1 >= args.length) {
        err.println("error: unexpected argument '" + a + "'. Run with --help for usage.");
        return 2;
      }
      opts.put(a, args[++i]);
    }
    List<String> known =
        List.of(
            "--master-key-file",
            "--port",
            "--host",
            "--models",
            "--licensed",
            "--mgmt-rps",
            "--latency-ms",
            "--seed-alias",
            "--seed-models",
            "--seed-key-out");
    for (String k : opts.keySet()) {
      if (!known.contains(k)) {
        err.println("error: unknown option " + k + ". Run with --help for usage.");
        return 2;
      }
    }
    String masterFile = opts.get("--master-key-file");
    if (masterFile == null) {
      err.println("error: --master-key-file is required (a file holding the master key, sk-...).");
      return 2;
    }
    String master;
    try {
      master = Files.readString(Path.of(masterFile), StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      err.println("error: cannot read the master key file " + masterFile + ": " + e.getMessage());
      return 2;
    }
    LiteLlmEmulator.Builder b;
    try {
      b =
          LiteLlmEmulator.builder()
              .masterKey(master)
              .host(opts.getOrDefault("--host", "127.0.0.1"))
              .port(Integer.parseInt(opts.getOrDefault("--port", "4000")))
              .models(split(opts.getOrDefault("--models", "gpt-4o-mini,claude-haiku")))
              .licensed(opts.containsKey("--licensed"));
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage() + " (in " + masterFile + " or the options)");
      return 2;
    }
    LiteLlmEmulator emulator = b.build().start();
    int rps = Integer.parseInt(opts.getOrDefault("--mgmt-rps", "0"));
    emulator.faults().managementRateCap(rps);
    int latency = Integer.parseInt(opts.getOrDefault("--latency-ms", "0"));
    if (latency > 0) {
      emulator.faults().latency("*", Duration.ofMillis(latency));
    }
    String seeded = "";
    if (opts.containsKey("--seed-alias")) {
      Map<String, Object> body = new LinkedHashMap<>();
      body.put("key_alias", opts.get("--seed-alias"));
      if (opts.containsKey("--seed-models")) {
        body.put("models", split(opts.get("--seed-models")));
      }
      String raw = emulator.createKey(body);
      if (opts.containsKey("--seed-key-out")) {
        Path p = Path.of(opts.get("--seed-key-out"));
        Files.writeString(p, raw, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
      }
      seeded =
          "; seeded key '"
              + opts.get("--seed-alias")
              + "' ("
              + VirtualKeys.keyName(raw)
              + ")"
              + (opts.containsKey("--seed-key-out")
                  ? " written to " + opts.get("--seed-key-out")
                  : "");
    }
    out.println(
        "LiteLLM management-API EMULATOR (a Keyturn test double, not a LiteLLM proxy) listening on "
            + emulator.baseUrl()
            + (rps > 0 ? "; management cap " + rps + "/s" : "")
            + seeded);
    out.flush();
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  emulator.close();
                  stop.countDown();
                }));
    stop.await();
    return 0;
  }

  private static List<String> split(String csv) {
    return Arrays.stream(csv.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }
}
