package io.keyturn.testkit.launch;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Ports on 127.0.0.1: free ones to hand to a child server, and whether one is listening. */
public final class FreePorts {

  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private FreePorts() {}

  /**
   * A port that was free on 127.0.0.1 a moment ago. Another process may take it before the caller
   * binds it, so launchers retry on "address already in use".
   */
  public static int pick() {
    try (ServerSocket socket = new ServerSocket(0, 1, LOOPBACK)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on 127.0.0.1", e);
    }
  }

  /**
   * A port {@code p} such that {@code p} and {@code p + 1} are both free, for servers that bind a
   * second port next to the first (OpenBao's dev mode puts its cluster listener there).
   */
  public static int pickPair() {
    for (int attempt = 0; attempt < 50; attempt++) {
      int port = pick();
      if (port < 65535 && isFree(port + 1)) {
        return port;
      }
    }
    throw new IllegalStateException("no two adjacent free ports on 127.0.0.1 after 50 attempts");
  }

  /** Whether nothing is bound to {@code port} on 127.0.0.1. */
  public static boolean isFree(int port) {
    try (ServerSocket socket = new ServerSocket(port, 1, LOOPBACK)) {
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether something accepts TCP connections on 127.0.0.1:{@code port}. */
  public static boolean isListening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(LOOPBACK, port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
