package io.keyturn.activities.provider;

import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.workflows.provider.KeyShape;
import io.keyturn.workflows.provider.ProviderType;
import io.keyturn.workflows.provider.ProviderTypes;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The worker's providers are the registered {@link ProviderType}s, one for one: the CLI's schema
 * lists {@link ProviderTypes#names()} (ConfigSchemaTest), so a provider the worker has is one the
 * schema allows, and no other. Each agrees with its type on what it is.
 */
class KeyProvidersTest {
  static final List<KeyProvider> BUILT_IN =
      KeyProviders.builtIn(new ProviderContext(new JsonHttp(Duration.ofSeconds(5)), Map.of()));

  @Test
  void theWorkersProvidersAreTheRegisteredProviderTypes() {
    assertThat(BUILT_IN.stream().map(KeyProvider::name).collect(Collectors.toList()))
        .containsExactlyElementsOf(ProviderTypes.names())
        .contains("manual", "openai", "aws-iam");
  }

  @Test
  void eachProviderAgreesWithItsTypeOnAutomationAndKeyShape() {
    for (KeyProvider p : BUILT_IN) {
      ProviderType t = ProviderTypes.get(p.name());
      assertThat(p.automated()).as(p.name()).isEqualTo(t.automated());
      Map<String, Object> params = p.litellmParams(t.parse(t.example()), sampleKey(t.keyShape()));
      assertThat(params.keySet()).as(p.name()).containsAll(t.keyShape().litellmFields());
      if (t.keyShape() != KeyShape.API_KEY) {
        assertThat(params).as(p.name() + ": a pair is not an api_key").doesNotContainKey("api_key");
      }
      assertThat(t.secretStoreProblem(Map.of()) == null)
          .as(p.name() + ": a secret store holds one value")
          .isEqualTo(t.keyShape().singleValue());
    }
  }

  @Test
  void aProvidersSettingsAreCheckedByItsType() {
    for (KeyProvider p : BUILT_IN) {
      ProviderType t = ProviderTypes.get(p.name());
      for (String required : t.required()) {
        Map<String, String> without = new java.util.HashMap<>(t.example());
        without.remove(required);
        assertThat(p.problem(without))
            .as(p.name())
            .contains("provider " + t.name() + " needs " + required);
      }
    }
  }

  private static String sampleKey(KeyShape shape) {
    return switch (shape) {
      case API_KEY -> "sk-test-0000";
      case AWS_ACCESS_KEY ->
          "{\"aws_access_key_id\":\"AKIAEXAMPLE0000\",\"aws_secret_access_key\":\"s\"}";
    };
  }
}
