package io.keyturn.workflows.model;

import java.util.List;

/**
 * Where a fleet rotation stands: counts, the current wave and every member's status.
 *
 * @param fleetWorkflowId the fleet's workflow id, {@code fleet/<fleet-id>}
 * @param state RUNNING, STOPPED (a wave crossed the failure threshold; nothing more started) or
 *     COMPLETED
 * @param total members in the fleet
 * @param done members the fleet is finished with: published (in grace), succeeded, failed or
 *     skipped
 * @param inGrace members whose new key is published and whose old key their rotation revokes when
 *     its grace period ends (the fleet moves on without waiting for it)
 * @param wave waves started so far (the canary wave is wave 1; after it, each {@code concurrency}
 *     members started make a wave, and waves may overlap)
 * @param members one status per member, in rotation order
 * @param message what the fleet is doing or why it stopped, in words
 */
public record FleetProgress(
    String fleetWorkflowId,
    State state,
    int total,
    int done,
    int succeeded,
    int failed,
    int skipped,
    int running,
    int inGrace,
    int wave,
    List<Member> members,
    String message) {

  /** The fleet's state. */
  public enum State {
    RUNNING,
    STOPPED,
    COMPLETED
  }

  /**
   * A member's state. IN_GRACE: its new key is verified and published everywhere, and its rotation
   * revokes the old key when the grace period ends. SKIPPED: an earlier run of the same fleet
   * already rotated it.
   */
  public enum MemberState {
    PENDING,
    RUNNING,
    IN_GRACE,
    SUCCEEDED,
    FAILED,
    SKIPPED
  }

  /**
   * One member of the fleet.
   *
   * @param secretId the managed secret
   * @param workflowId its rotation's workflow id, {@code rotation/<secret-id>/fleet-<fleet-id>}
   * @param state where it stands
   * @param detail the failure (for FAILED) or why it was skipped; null otherwise
   */
  public record Member(String secretId, String workflowId, MemberState state, String detail) {}

  public FleetProgress {
    members = members == null ? List.of() : List.copyOf(members);
  }

  /** Progress with the counts computed from {@code members}. */
  public static FleetProgress of(
      String fleetWorkflowId, State state, int wave, List<Member> members, String message) {
    int succeeded = 0;
    int failed = 0;
    int skipped = 0;
    int running = 0;
    int inGrace = 0;
    for (Member m : members) {
      switch (m.state()) {
        case SUCCEEDED -> succeeded++;
        case FAILED -> failed++;
        case SKIPPED -> skipped++;
        case RUNNING -> running++;
        case IN_GRACE -> inGrace++;
        case PENDING -> {}
      }
    }
    return new FleetProgress(
        fleetWorkflowId,
        state,
        members.size(),
        succeeded + failed + skipped + inGrace,
        succeeded,
        failed,
        skipped,
        running,
        inGrace,
        wave,
        members,
        message);
  }

  /**
   * The same fleet with {@code members} as they stand now: counts recomputed, and a completed
   * fleet's summary said again from them. A fleet completes once every member has published, so its
   * result still shows members IN_GRACE whose rotations have since revoked their old keys; whoever
   * reads a closed fleet brings its members up to date with this.
   */
  public FleetProgress withMembers(List<Member> now) {
    FleetProgress p = of(fleetWorkflowId, state, wave, now, message);
    return state == State.COMPLETED
        ? of(fleetWorkflowId, state, wave, now, p.completedMessage())
        : p;
  }

  /** The summary of a completed fleet, from its counts. */
  public String completedMessage() {
    return "completed: "
        + succeeded
        + " rotated, "
        + inGrace
        + " published and in grace (each rotation revokes its old key when its grace ends), "
        + skipped
        + " skipped, "
        + failed
        + " failed"
        + (failed == 0 ? "" : " (" + String.join(", ", secretIds(MemberState.FAILED)) + ")");
  }

  /** The secret ids of the members in {@code s}. */
  public List<String> secretIds(MemberState s) {
    return members.stream().filter(m -> m.state() == s).map(Member::secretId).toList();
  }
}
