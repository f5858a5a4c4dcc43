package io.keyturn.worker.config;

/** Blank settings, and how a secret setting is shown: whether it is set, never its value. */
final class Blank {
  private Blank() {}

  static boolean is(String s) {
    return s == null || s.isBlank();
  }

  /** {@code (set)} or {@code (unset)}, for the toString of a record holding a secret. */
  static String mask(String secret) {
    return is(secret) ? "(unset)" : "(set)";
  }
}
