package io.keyturn.starter.config;

import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.RestartSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * One {@code masterKeys:} entry of keyturn.yaml, checked: the proxy, where it reads its master key,
 * whether it sets a salt key (always stated: the schema has no default for it) and how it restarts.
 */
public record MasterKeySpec(
    String id,
    Path file,
    String gateway,
    List<Destination> destinations,
    boolean saltKey,
    RestartSpec restart,
    List<io.keyturn.workflows.model.RestartTarget> alsoRestart) {

  public MasterKeySpec {
    alsoRestart = alsoRestart == null ? List.of() : List.copyOf(alsoRestart);
  }

  /** An entry that restarts nothing but the proxy. */
  public MasterKeySpec(
      String id,
      Path file,
      String gateway,
      List<Destination> destinations,
      boolean saltKey,
      RestartSpec restart) {
    this(id, file, gateway, destinations, saltKey, restart, List.of());
  }

  /** The rotation this entry asks for. */
  public MasterKeyRequest request(String requestedBy) {
    return new MasterKeyRequest(
        id, gateway, destinations, saltKey, restart, requestedBy, alsoRestart);
  }
}
