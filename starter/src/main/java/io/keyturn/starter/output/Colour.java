package io.keyturn.starter.output;

import java.util.Map;

/**
 * ANSI colour for the marks a reader scans for (plan's + ~ -, a check's ok and FAIL): only when the
 * output is a terminal and {@code NO_COLOR} is not set (https://no-color.org), never in JSON.
 */
public final class Colour {
  private final boolean on;

  private Colour(boolean on) {
    this.on = on;
  }

  public static Colour forTerminal(boolean tty, Map<String, String> env, boolean json) {
    return new Colour(
        tty && !json && !env.containsKey("NO_COLOR") && !"dumb".equals(env.get("TERM")));
  }

  public String green(String s) {
    return paint("32", s);
  }

  public String yellow(String s) {
    return paint("33", s);
  }

  public String red(String s) {
    return paint("31", s);
  }

  private String paint(String code, String s) {
    return on ? "\u001b[" + code + "m" + s + "\u001b[0m" : s;
  }
}
