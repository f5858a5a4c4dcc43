package io.keyturn.gateway.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.gateway.http.JsonHttp.Reply;
import io.keyturn.workflows.RotationFailures;
import io.temporal.failure.ApplicationFailure;
import org.junit.jupiter.api.Test;

/**
 * Answers LiteLLM's own code gives (1.82.3 and 1.106.12, seen by the conformance suite) that the
 * emulator did not: each classified so that a retry happens only where it can help.
 */
class ProxyErrorRealAnswersTest {

  @Test
  void anExpiredKeyAnswered400ByOlderReleasesIsARefusalNotABadRequest() {
    ApplicationFailure f =
        ProxyError.of(
                new Reply(
                    400,
                    "{\"error\":{\"message\":\"Authentication Error - Expired Key. Key Expiry time"
                        + " 2026-12-01\",\"type\":\"expired_key\",\"param\":\"sk-...b39b\","
                        + "\"code\":\"400\"}}",
                    null))
            .toFailure("http://gw", "reading the policy");
    assertThat(f.getType()).isEqualTo(RotationFailures.GATEWAY_UNAUTHORIZED);
    assertThat(f.isNonRetryable()).isTrue();
  }

  @Test
  void anEnterpriseOnlyPolicyFieldAnswered500IsNamedAsSuchAndNotRetried() {
    ApplicationFailure f =
        ProxyError.of(
                new Reply(
                    500,
                    "{\"error\":{\"message\":\"Invalid model_max_budget: You must have an"
                        + " enterprise license to set model_max_budget.\",\"type\":"
                        + "\"internal_server_error\",\"param\":\"None\",\"code\":\"500\"}}",
                    null))
            .toFailure("http://gw", "minting keyturn-a-g1");
    assertThat(f.getType()).isEqualTo(RotationFailures.GATEWAY_UNSUPPORTED);
    assertThat(f.isNonRetryable()).isTrue();
    assertThat(f.getOriginalMessage()).contains("remove that field");
  }
}
