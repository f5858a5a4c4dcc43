package io.keyturn.activities.master;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.keyturn.workflows.MasterKeyFailures;
import io.keyturn.workflows.model.Destination;
import io.keyturn.workflows.model.MasterKeyRequest;
import io.keyturn.workflows.model.RestartSpec;
import io.temporal.failure.ApplicationFailure;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The master-key preflight refuses while a provider-key rotation of the same proxy runs, before it
 * touches a store or the proxy (neither exists here: any call to them would fail differently).
 */
class MasterKeyTierOrderTest {

  static MasterKeyRequest request(String gateway) {
    return new MasterKeyRequest(
        "prod",
        gateway,
        List.of(new Destination("vault-kv2", Map.of("name", "litellm-master"))),
        true,
        RestartSpec.manual(Duration.ofMinutes(10)),
        "test");
  }

  @Test
  void aRunningProviderKeyRotationOfTheProxyIsNamedAndNothingIsTouched() {
    MasterKeyActivitiesImpl acts = new MasterKeyActivitiesImpl(null, null, null, null);
    List<String> asked = new ArrayList<>();
    acts.runningOnProxy(
        (type, gw) -> {
          asked.add(type + " " + gw);
          return List.of("provider-key/gpt-4o-mini");
        });
    assertThatThrownBy(() -> acts.preflight(request("http://127.0.0.1:4000")))
        .isInstanceOfSatisfying(
            ApplicationFailure.class,
            f -> {
              assertThat(f.getType()).isEqualTo(MasterKeyFailures.PROVIDER_KEY_ROTATING);
              assertThat(f.isNonRetryable()).isTrue();
            })
        .hasMessageContaining("provider-key rotation provider-key/gpt-4o-mini is running")
        .hasMessageContaining("keyturn provider-status provider-key/gpt-4o-mini");
    assertThat(asked).containsExactly("ProviderKeyRotation http://127.0.0.1:4000");
  }
}
