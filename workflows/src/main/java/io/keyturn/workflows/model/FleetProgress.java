package io.keyturn.workflows.model;

import java.util.List;

/**
 * Where a fleet rotation stands: counts, the current wave and every member's status.
 *
 * @param fleetWorkflowId the fleet's workflow id, {@code fleet/<fleet-id>}
 * @param state RUNNING, STOPPED (a wave crossed the failure threshold) or COMPLETED
 * @param total members in the fleet
 * @param done members that will not change any more (succeeded, failed or skipped)
 * @param wave waves started so far (the canary wave is wave 1)
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
    int wave,
    List<Member> members,
    String message) {

  /** The fleet's state. */
  public enum State {
    RUNNING,
    STOPPED,
    COMPLETED
  }

  /** A member's state. SKIPPED: an earlier run of the same fleet already rotated it. */
  public enum MemberState {
    PENDING,
    RUNNING,
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
    for (Member m : members) {
      switch (m.state()) {
        case SUCCEEDED -> succeeded++;
        case FAILED -> failed++;
        case SKIPPED -> skipped++;
        case RUNNING -> running++;
        case PENDING -> {}
      }
    }
    return new FleetProgress(
        fleetWorkflowId,
        state,
        members.size(),
        succeeded + failed + skipped,
        succeeded,
        failed,
        skipped,
        running,
        wave,
        members,
        message);
  }

  /** The secret ids of the members in {@code s}. */
  public List<String> secretIds(MemberState s) {
    return members.stream().filter(m -> m.state() == s).map(Member::secretId).toList();
  }
}
