package io.keyturn.starter.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code providerKeys:} in keyturn.yaml: defaults, the schema's refusals, one entry per group. */
class ProviderKeyConfigTest {
  @TempDir Path dir;

  Path write(String body) throws Exception {
    Path f = dir.resolve("keyturn.yaml");
    Files.writeString(f, "apiVersion: keyturn/v1\nproviderKeys:\n" + body);
    return f;
  }

  static final String OPENAI =
      "  - id: chat\n"
          + "    gateway: {url: http://litellm:4000/}\n"
          + "    modelGroup: gpt-4o-mini\n"
          + "    provider: openai\n"
          + "    project: proj_abc\n";

  @Test
  void anOpenAiEntryLoadsWithItsDefaults() throws Exception {
    List<ProviderKeySpec> all = ConfigLoader.loadProviderKeys(write(OPENAI));
    assertThat(all).hasSize(1);
    ProviderKeySpec p = all.get(0);
    assertThat(p.gateway()).isEqualTo("http://litellm:4000");
    assertThat(p.workflowId()).isEqualTo("provider-key/gpt-4o-mini");
    assertThat(p.grace()).isEqualTo(Duration.ofHours(24));
    assertThat(p.overlap()).isZero();
    assertThat(p.request("t").settings()).containsEntry("project", "proj_abc");
  }

  @Test
  void openAiWithoutAProjectAndAnUnknownProviderAreRefused() throws Exception {
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(write(OPENAI.replace("    project: proj_abc\n", ""))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("project");
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(OPENAI.replace("provider: openai", "provider: anthropic"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("provider");
  }

  static final String BEDROCK =
      "  - id: bedrock\n"
          + "    gateway: {url: http://litellm:4000}\n"
          + "    modelGroup: claude-bedrock\n"
          + "    provider: aws-iam\n"
          + "    iamUser: litellm-bedrock\n"
          + "    region: eu-west-1\n";

  @Test
  void anAwsIamEntryCarriesItsUserRegionAndEndpoint() throws Exception {
    ProviderKeySpec p =
        ConfigLoader.loadProviderKeys(write(BEDROCK + "    endpoint: http://127.0.0.1:5000\n"))
            .get(0);
    assertThat(p.request("t").settings())
        .containsExactlyInAnyOrderEntriesOf(
            java.util.Map.of(
                "iamUser", "litellm-bedrock",
                "region", "eu-west-1",
                "endpoint", "http://127.0.0.1:5000"));
    assertThat(p.request("t").provider()).isEqualTo("aws-iam");
  }

  @Test
  void awsIamWithoutAUserOrRegionOrWithAnArnIsRefused() throws Exception {
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(BEDROCK.replace("    iamUser: litellm-bedrock\n", ""))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("iamUser");
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(BEDROCK.replace("    region: eu-west-1\n", ""))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("region");
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(
                        BEDROCK.replace(
                            "iamUser: litellm-bedrock",
                            "iamUser: 'arn:aws:iam::123456789012:user/litellm-bedrock'"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is not an IAM user name");
  }

  @Test
  void aSettingOfAnotherProviderIsRefusedNamingTheProvidersOwn() throws Exception {
    assertThatThrownBy(
            () -> ConfigLoader.loadProviderKeys(write(BEDROCK + "    project: proj_abc\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("providerKeys[0].project")
        .hasMessageContaining("provider aws-iam has no setting 'project'")
        .hasMessageContaining("[endpoint, iamUser, region]");
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(OPENAI.replace("provider: openai", "provider: manual"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("provider manual has no setting 'project'")
        .hasMessageContaining("[endpoint, keyShape, region]");
  }

  static final String MANUAL_BEDROCK =
      "  - id: bedrock-by-hand\n"
          + "    gateway: {url: http://litellm:4000}\n"
          + "    modelGroup: claude-bedrock\n"
          + "    provider: manual\n"
          + "    keyShape: aws-access-key\n"
          + "    region: eu-west-1\n";

  @Test
  void aManualEntryOfAwsKeysNeedsItsRegionAndNoOtherTakesOne() throws Exception {
    ProviderKeySpec p = ConfigLoader.loadProviderKeys(write(MANUAL_BEDROCK)).get(0);
    assertThat(p.request("t").settings())
        .containsEntry("keyShape", "aws-access-key")
        .containsEntry("region", "eu-west-1");
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(MANUAL_BEDROCK.replace("    region: eu-west-1\n", ""))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("provider manual with keyShape aws-access-key needs region");
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(MANUAL_BEDROCK.replace("    keyShape: aws-access-key\n", ""))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("provider manual takes region only with keyShape: aws-access-key");
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(MANUAL_BEDROCK.replace("aws-access-key", "aws-pair"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("is not a key shape");
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(
                        MANUAL_BEDROCK
                            + "    grace: 25h\n    secretStore:\n      destinations:\n"
                            + "        - {type: vault-kv2, name: BEDROCK_KEY, pathPrefix: /}\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("providerKeys[0].secretStore")
        .hasMessageContaining("a manual key is a pair");
  }

  @Test
  void awsIamThroughASecretStoreIsRefused() throws Exception {
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(
                        BEDROCK
                            + "    grace: 25h\n    secretStore:\n      destinations:\n"
                            + "        - {type: vault-kv2, name: BEDROCK_KEY, pathPrefix: /}\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("providerKeys[0].secretStore")
        .hasMessageContaining("an aws-iam key is a pair")
        .hasMessageContaining("remove secretStore");
  }

  @Test
  void oneEntryPerModelGroup() throws Exception {
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(OPENAI + OPENAI.replace("id: chat", "id: chat2"))))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("model group 'gpt-4o-mini' is declared twice");
  }

  @Test
  void aScheduleLoadsAndIsCheckedAsAMasterKeysIs() throws Exception {
    ProviderKeySpec p =
        ConfigLoader.loadProviderKeys(write(OPENAI + "    schedule: {every: 90d, jitter: 1h}\n"))
            .get(0);
    assertThat(p.schedule().every()).isEqualTo(Duration.ofDays(90));
    assertThat(p.schedule().jitter()).isEqualTo(Duration.ofHours(1));
    assertThat(ConfigLoader.loadProviderKeys(write(OPENAI)).get(0).schedule()).isNull();

    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(OPENAI + "    schedule: {every: 1d, jitter: 2d}\n")))
        .isInstanceOfSatisfying(
            ConfigException.class,
            e ->
                assertThat(e.problems())
                    .anySatisfy(
                        pr -> assertThat(pr.field()).isEqualTo("providerKeys[0].schedule.jitter")));
    assertThatThrownBy(
            () ->
                ConfigLoader.loadProviderKeys(
                    write(OPENAI + "    schedule: {every: 90d, at: 3}\n")))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("schedule");
  }
}
