package io.keyturn.starter.schedules;

import io.keyturn.workflows.model.KeyPolicy;
import io.keyturn.workflows.model.RotationRequest;
import java.util.Collection;
import java.util.Map;

/**
 * Which managed secrets a fleet rotates, matched against the rotation request each schedule starts:
 * {@code all}; {@code id-prefix=P} (the secret id starts with P); {@code team=T} (the written
 * policy's {@code team_id} is T); {@code tag=T} (the written policy's {@code tags}, or its {@code
 * metadata.tags}, contains T). A secret whose policy is imported from its current key at rotation
 * time has no written policy, so team and tag selectors do not match it.
 */
public record FleetSelector(String kind, String value) {

  public static FleetSelector parse(String text) {
    if (text == null || text.isBlank() || text.equals("all")) {
      return new FleetSelector("all", "");
    }
    int eq = text.indexOf('=');
    String kind = eq < 0 ? text : text.substring(0, eq);
    String value = eq < 0 ? "" : text.substring(eq + 1);
    if (!(kind.equals("id-prefix") || kind.equals("team") || kind.equals("tag"))
        || value.isBlank()) {
      throw new IllegalArgumentException(
          "selector '" + text + "' is not one of: all, id-prefix=P, team=T, tag=T");
    }
    return new FleetSelector(kind, value);
  }

  public boolean matches(RotationRequest r) {
    KeyPolicy p = r.policy();
    Map<String, Object> f = p == null ? Map.of() : p.fields();
    return switch (kind) {
      case "all" -> true;
      case "id-prefix" -> r.secretId().startsWith(value);
      case "team" -> value.equals(String.valueOf(f.get("team_id")));
      default ->
          contains(f.get("tags"))
              || (f.get("metadata") instanceof Map<?, ?> md && contains(md.get("tags")));
    };
  }

  private boolean contains(Object tags) {
    return tags instanceof Collection<?> c && c.stream().anyMatch(t -> value.equals(t));
  }

  @Override
  public String toString() {
    return kind.equals("all") ? "all" : kind + "=" + value;
  }
}
