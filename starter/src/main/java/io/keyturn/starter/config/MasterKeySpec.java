package io.keyturn.starter.config;

import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.RestartSpec;
import java.nio.file.Path;
import java.util.List;

/**
 * One {@code masterKeys:} entry of keyturn.yaml, checked: the proxy, where it reads its master key,
 * whether it sets a salt key (always stated: the schema has no default for it), how it restarts,
 * and when it is rotated ({@code schedule}, null when only {@code keyturn rotate-master} does).
 */
public record MasterKeySpec(
    String id,
    Path file,
    String gateway,
    List<Destination> destinations,
    boolean saltKey,
    RestartSpec restart,
    List<io.keyturn.workflows.model.RestartTarget> alsoRestart,
    SecretSpec.Schedule schedule) {

  public MasterKeySpec {
    alsoRestart = alsoRestart == null ? List.of() : List.copyOf(alsoRestart);
  }

  /** An entry without a schedule (rotated with {@code keyturn rotate-master} only). */
  public MasterKeySpec(
      String id,
      Path file,
      String gateway,
      List<Destination> destinations,
      boolean saltKey,
      RestartSpec restart,
      List<io.keyturn.workflows.model.RestartTarget> alsoRestart) {
    this(id, file, gateway, destinations, saltKey, restart, alsoRestart, null);
  }

  /** Whether each rotation waits for an operator's {@code keyturn confirm-restart}. */
  public boolean waitsForOperator() {
    return restart != null && RestartSpec.MANUAL.equals(restart.mode());
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
