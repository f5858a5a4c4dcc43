package io.keyturn.workflows.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** A key's shape decides the deployment's params; a key of the wrong shape is refused unseen. */
class KeyShapeTest {
  @Test
  void anApiKeyIsApiKeyAndAPairIsItsTwoFieldsWithTheRegion() {
    assertThat(ProviderTypes.get("openai").litellmParams(Map.of(), "sk-abc"))
        .containsExactly(Map.entry("api_key", "sk-abc"));
    assertThat(ProviderTypes.get("manual").litellmParams(Map.of(), "sk-abc"))
        .containsExactly(Map.entry("api_key", "sk-abc"));
    assertThat(
            ProviderTypes.get("aws-iam")
                .litellmParams(
                    Map.of("iamUser", "u", "region", "eu-west-1"),
                    "{\"aws_access_key_id\":\"AKIAX\",\"aws_secret_access_key\":\"s3cr3t\"}"))
        .containsExactly(
            Map.entry("aws_access_key_id", "AKIAX"),
            Map.entry("aws_secret_access_key", "s3cr3t"),
            Map.entry("aws_region_name", "eu-west-1"));
  }

  @Test
  void aKeyOfAnotherShapeIsRefusedWithoutShowingIt() {
    assertThatThrownBy(() -> KeyShape.AWS_ACCESS_KEY.secretParams("sk-not-a-pair-s3cr3t"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("aws_access_key_id and aws_secret_access_key")
        .hasMessageNotContaining("s3cr3t");
    assertThatThrownBy(
            () -> KeyShape.AWS_ACCESS_KEY.secretParams("{\"aws_access_key_id\":\"AKIAs3cr3t\"}"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageNotContaining("s3cr3t");
    assertThatThrownBy(() -> KeyShape.API_KEY.secretParams(" "))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void onlyAKeyOfOneValueCanGoThroughASecretStore() {
    for (ProviderType t : ProviderTypes.all()) {
      assertThat(t.secretStoreProblem(Map.of()) == null)
          .as(t.name())
          .isEqualTo(t.keyShape().singleValue());
    }
    assertThat(ProviderTypes.get("aws-iam").secretStoreProblem(Map.of()).message())
        .contains("an aws-iam key is a pair");
  }
}
