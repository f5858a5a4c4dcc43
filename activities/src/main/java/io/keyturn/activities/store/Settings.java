package io.keyturn.activities.store;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** Reads a destination's string settings for a config record, refusing names it does not know. */
final class Settings {
  private Settings() {}

  static Map<String, String> only(String type, Map<String, String> settings, Set<String> known) {
    Set<String> unknown = new TreeSet<>(settings.keySet());
    unknown.removeAll(known);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(
          type + " store: unknown setting(s) " + unknown + "; the known ones are " + known);
    }
    return settings;
  }

  static int integer(String type, Map<String, String> settings, String name, int fallback) {
    String v = settings.get(name);
    if (v == null || v.isBlank()) {
      return fallback;
    }
    try {
      return Integer.parseInt(v.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          type + " store: setting '" + name + "' must be a whole number, got '" + v + "'");
    }
  }
}
