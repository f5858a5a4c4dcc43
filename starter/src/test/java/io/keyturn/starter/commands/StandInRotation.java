package io.keyturn.starter.commands;

import io.keyturn.workflows.model.RotationRequest;
import io.keyturn.workflows.model.RotationResult;
import io.keyturn.workflows.testing.RotationStandIn;
import io.temporal.failure.ApplicationFailure;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A stand-in for the rotation workflow, for command tests where the rotation itself is not under
 * test: it completes at once, or fails for the secrets in {@link #FAILING}. It answers no status
 * and ignores revoke-now.
 */
public class StandInRotation extends RotationStandIn {

  /** Secrets whose stand-in rotation fails; the rest complete at once. */
  static final Set<String> FAILING = ConcurrentHashMap.newKeySet();

  @Override
  public RotationResult rotate(RotationRequest r) {
    if (FAILING.contains(r.secretId())) {
      throw ApplicationFailure.newNonRetryableFailure(
          "Rotation of " + r.secretId() + " failed while verifying", "RotationRolledBack");
    }
    return new RotationResult(r.secretId(), 1, null, null, "a", null, false, List.of());
  }
}
