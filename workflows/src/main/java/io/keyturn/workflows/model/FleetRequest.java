package io.keyturn.workflows.model;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A fleet rotation: which secrets to rotate and how carefully.
 *
 * @param members one rotation request per secret, in the order they are rotated (the first {@code
 *     canarySize} form the canary wave); secret ids must be unique
 * @param concurrency how many rotations run at once, which is also the size of every wave after the
 *     canary (1-100)
 * @param canarySize members in the first wave, rotated before any other (0: no canary wave)
 * @param failureThreshold the fleet stops after a wave in which failed / rotated is greater than
 *     this (0: any failure stops it; 1: never stop)
 * @param requestedBy who or what started the fleet (for the audit trail)
 * @param carried the progress a previous run handed over with continue-as-new; null on a start
 */
public record FleetRequest(
    List<RotationRequest> members,
    int concurrency,
    int canarySize,
    double failureThreshold,
    String requestedBy,
    FleetProgress carried) {

  public static final int MAX_CONCURRENCY = 100;

  public FleetRequest {
    if (members == null || members.isEmpty()) {
      throw new IllegalArgumentException("a fleet needs at least one member to rotate");
    }
    members = List.copyOf(members);
    Set<String> ids = new HashSet<>();
    for (RotationRequest m : members) {
      if (!ids.add(m.secretId())) {
        throw new IllegalArgumentException(
            "secret '" + m.secretId() + "' is twice in the fleet: one secret rotates once");
      }
    }
    if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
      throw new IllegalArgumentException(
          "concurrency must be between 1 and " + MAX_CONCURRENCY + ", got " + concurrency);
    }
    if (canarySize < 0) {
      throw new IllegalArgumentException("canary size must be 0 or more, got " + canarySize);
    }
    if (!(failureThreshold >= 0 && failureThreshold <= 1)) {
      throw new IllegalArgumentException(
          "failure threshold must be between 0 and 1, got " + failureThreshold);
    }
    requestedBy = requestedBy == null || requestedBy.isBlank() ? "unknown" : requestedBy;
  }

  /** A new fleet (nothing carried over). */
  public FleetRequest(
      List<RotationRequest> members,
      int concurrency,
      int canarySize,
      double failureThreshold,
      String requestedBy) {
    this(members, concurrency, canarySize, failureThreshold, requestedBy, null);
  }

  /** The same fleet, carrying {@code progress} into the next run. */
  public FleetRequest continuing(FleetProgress progress) {
    return new FleetRequest(
        members, concurrency, canarySize, failureThreshold, requestedBy, progress);
  }
}
