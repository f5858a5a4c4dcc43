package io.keyturn.workflows.model;

/**
 * What an emergency rotation (a leaked key) did about the leak, for the audit trail and the CLI's
 * summary. Times are the workflow's own clock ({@code Workflow.currentTimeMillis}), epoch millis.
 *
 * @param requestedBy who started the emergency rotation
 * @param leakedKey the key that leaked, blocked and then deleted
 * @param alreadyBlocked the leaked key was blocked before this rotation blocked it (an earlier
 *     emergency run, or an operator)
 * @param blockedAtMillis when the proxy answered that the leaked key is blocked
 * @param publishedAtMillis when the last destination answered that it holds the new key
 */
public record EmergencyReport(
    String requestedBy,
    KeyRef leakedKey,
    boolean alreadyBlocked,
    long blockedAtMillis,
    long publishedAtMillis) {

  /**
   * The window between "leaked key blocked" and "new key published everywhere": how long
   * applications had no working key.
   */
  public long windowMillis() {
    return Math.max(0, publishedAtMillis - blockedAtMillis);
  }
}
