package io.keyturn.workflows;

import io.keyturn.workflows.model.KeyRef;
import io.keyturn.workflows.model.MintedKey;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.activity.ActivityOptions;
import io.temporal.common.RetryOptions;
import io.temporal.failure.ApplicationFailure;
import io.temporal.workflow.Workflow;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The gate a rotation of the worker's own management key passes before it revokes the old one: the
 * worker must read the new key by then (it re-reads LITELLM_MASTER_KEY_FILE at each use), or the
 * revoke would lock Keyturn out of the proxy. The check asks a worker which key it uses and proves
 * the proxy accepts it; it is asked again every few seconds until it names the new key, for at most
 * {@link #PATIENCE}. It then fails the rotation without revoking anything: both keys still work.
 *
 * <p>One answer comes from one worker: with several replicas, each must read the same published
 * file or Secret; the gate proves that the replica that answered reads it (see the README).
 */
final class ManagementKeyGate {
  /** Failure type of a management-key rotation whose worker never read the new key. */
  static final String NOT_IN_USE = "ManagementKeyNotInUse";

  /** How long the worker may take to read the published key (a mounted Secret syncs in ~1 min). */
  static final Duration PATIENCE = Duration.ofMinutes(10);

  static final Duration ASK_EVERY = Duration.ofSeconds(3);

  private static final ActivityOptions ASK =
      ActivityOptions.newBuilder()
          .setStartToCloseTimeout(Duration.ofSeconds(30))
          .setScheduleToCloseTimeout(Duration.ofMinutes(2))
          .setRetryOptions(
              RetryOptions.newBuilder()
                  .setInitialInterval(Duration.ofSeconds(1))
                  .setMaximumInterval(Duration.ofSeconds(10))
                  .build())
          .build();

  private final LiteLlmActivities gateway = Workflow.newActivityStub(LiteLlmActivities.class, ASK);

  /**
   * Returns once a worker reads {@code minted} as its management key; does nothing for a rotation
   * of any other key. {@code say} gets the words for the rotation's current details while waiting.
   *
   * @throws ApplicationFailure non-retryable {@link #NOT_IN_USE} after {@link #PATIENCE}
   */
  void await(RotationRequest req, MintedKey minted, Consumer<String> say) {
    if (!req.managementKey()) {
      return;
    }
    long deadline = Workflow.currentTimeMillis() + PATIENCE.toMillis();
    KeyRef inUse = null;
    while (true) {
      try {
        inUse = gateway.managementKeyInUse(req.gatewayUrl());
      } catch (io.temporal.failure.ActivityFailure e) {
        inUse = null;
      }
      if (inUse != null && inUse.tokenHash().equals(minted.ref().tokenHash())) {
        say.accept(RotationMessages.managementKeyInUse(minted.ref()));
        return;
      }
      if (Workflow.currentTimeMillis() >= deadline) {
        throw ApplicationFailure.newNonRetryableFailure(
            RotationMessages.managementKeyNotInUse(req, minted.ref(), inUse, PATIENCE), NOT_IN_USE);
      }
      say.accept(RotationMessages.waitingForManagementKey(minted.ref(), inUse));
      Workflow.sleep(ASK_EVERY);
    }
  }
}
