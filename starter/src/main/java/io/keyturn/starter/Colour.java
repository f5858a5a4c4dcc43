package io.keyturn.starter;

import java.util.Map;

/**
 * ANSI colour for the marks a reader scans for (plan's + ~ -, a check's ok and FAIL): only when the
 * output is a terminal and {@code NO_COLOR} is not set (https://no-color.org), never in JSON.
 */
final class Colour {
  private final boolean on;

  private Colour(boolean on) {
    this.on = on;
  }

  static Colour forTerminal(boolean tty, Map<String, String> env, boolean json) {
    return new Colour(
        tty && !json && !env.containsKey("NO_COLOR") && !"dumb".equals(env.get("TERM")));
  }

  String green(String s) {
    return paint("32", s);
  }

  String yellow(String s) {
    return paint("33", s);
  }

  String red(String s) {
    return paint("31", s);
  }

  private String paint(String code, String s) {
    return on ? "\u001b[" + code + "m" + s + "\u001b[0m" : s;
  }
}
