package io.keyturn.activities.operator;

import io.keyturn.gateway.litellm.Answer;
import io.keyturn.gateway.litellm.KeyInfoResponse;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.workflows.RotationFailures;
import io.keyturn.workflows.model.KeyRef;
import io.temporal.failure.ApplicationFailure;
import java.util.List;

/**
 * The second half of the refusal of operator-managed keys: a key whose alias a VirtualKey object
 * names is the operator's even when its metadata lost the {@code managed_by} marker (a key the
 * operator adopted, or one edited by hand), and a plain rotation would make the operator re-mint
 * the alias.
 */
public final class OperatorRefusal {
  private OperatorRefusal() {}

  /** Throws {@link RotationFailures#OPERATOR_MANAGED} when a VirtualKey claims the key's alias. */
  public static void refuseIfClaimed(
      VirtualKeyClaims claims, LiteLlmClient proxy, String gateway, KeyRef key) {
    if (claims == VirtualKeyClaims.NONE) {
      return;
    }
    Answer<KeyInfoResponse> a = proxy.keyInfo(gateway, key.tokenHash());
    if (!a.ok()) {
      throw a.error().toFailure(gateway, "reading the alias of " + key.fingerprint());
    }
    String alias = a.body().info().keyAlias();
    List<String> claimedBy = claims.claiming(alias);
    if (!claimedBy.isEmpty()) {
      throw ApplicationFailure.newNonRetryableFailure(
          "the key to replace, "
              + key.fingerprint()
              + ", has the alias "
              + alias
              + " that the LiteLLM Kubernetes operator's VirtualKey "
              + String.join(", ", claimedBy)
              + " names: the operator finds its key by alias, and once Keyturn revoked it the"
              + " operator would mint a new key under the same alias and overwrite the Secret"
              + " applications read, with a key nobody published. Nothing was minted. Rotate it"
              + " through the operator instead (operator: {virtualKey: <namespace>/<name>} on the"
              + " secret in keyturn.yaml, then keyturn rotate-operator), or delete the VirtualKey"
              + " before Keyturn rotates the key.",
          RotationFailures.OPERATOR_MANAGED);
    }
  }
}
