package io.keyturn.testkit.launch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a stopped server said while shutting down reaches its log. */
class ChildProcessTest {

  @Test
  void linesWrittenAfterSigtermReachTheLog(@TempDir Path dir) throws Exception {
    Path log = dir.resolve("child.log");
    // A server that says goodbye on SIGTERM, as the worker logs "Keyturn worker stopped".
    ChildProcess child =
        ChildProcess.start(
            "goodbye server",
            List.of(
                "sh",
                "-c",
                "trap 'echo stopping; sleep 0.3; echo stopped; exit 0' TERM; echo up;"
                    + " while :; do sleep 0.1; done"),
            ChildProcess.environmentWithout(),
            log,
            line -> line);
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!Files.readString(log).contains("up") && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    child.stop();
    assertThat(child.isAlive()).isFalse();
    assertThat(Files.readAllLines(log)).containsExactly("up", "stopping", "stopped");
  }
}
