package io.keyturn.testkit.launch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every server a test starts as a child process on 127.0.0.1 shares: its process, its port,
 * and stopping it (SIGTERM, then SIGKILL after 10 s), idempotently.
 */
public abstract class LocalServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LocalServer.class);

  /** What it is, in messages: "OpenBao dev server", "moto server"... */
  private final String name;

  /** Set by the subclass's start; 0 until then. */
  protected int port;

  /** Set by the subclass's start; null once stopped. */
  protected ChildProcess process;

  protected LocalServer(String name) {
    this.name = name;
  }

  /** Stops the server; what it held in memory is gone. Idempotent. */
  public synchronized void stop() {
    if (process != null) {
      process.stop();
      process = null;
      log.info("{} on 127.0.0.1:{} stopped", name, port);
    }
  }

  @Override
  public void close() {
    stop();
  }

  public synchronized boolean isRunning() {
    return process != null && process.isAlive();
  }

  public synchronized int port() {
    if (port == 0) {
      throw new IllegalStateException(name + " not started");
    }
    return port;
  }

  /** {@code "http://127.0.0.1:<port>"}. */
  protected synchronized String httpAddress() {
    return "http://127.0.0.1:" + port();
  }
}
