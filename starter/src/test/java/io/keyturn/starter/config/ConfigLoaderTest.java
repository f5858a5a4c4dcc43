package io.keyturn.starter.config;

import static io.keyturn.starter.config.ConfigRefusals.onlyProblem;
import static io.keyturn.starter.config.ConfigRefusals.refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** keyturn.yaml: a good file loads; each bad one is refused naming file, field and problem. */
class ConfigLoaderTest {
  @TempDir Path dir;

  static final String GOOD =
      """
      apiVersion: keyturn/v1
      secrets:
        - id: billing-api
          gateway:
            url: http://127.0.0.1:4000/
            managementKey: {env: LITELLM_MASTER_KEY}
          currentKey: {file: billing-api.key}
          policy:
            import: current
          destinations:
            - type: vault-kv2
              name: billing-api
            - type: file
              path: out/billing.env
              format: env
              field: BILLING_KEY
          schedule:
            every: 30d
            jitter: 1h
          grace: 24h
        - id: search
          gateway: {url: https://litellm.example.com}
          policy:
            models: [gpt-4o-mini]
            max_budget: 25
            metadata: {owner: search-team}
          destinations:
            - type: aws-secretsmanager
              secretId: litellm/search
              region: eu-west-1
          schedule:
            cron: "0 3 * * 1"
            timezone: Europe/Paris
      """;

  Path write(String name, String yaml) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, yaml);
    return p;
  }

  @Test
  void aGoodFileLoadsWithDefaultsFilledIn() throws Exception {
    List<SecretSpec> s = ConfigLoader.load(write("keyturn.yaml", GOOD));
    assertThat(s).extracting(SecretSpec::id).containsExactly("billing-api", "search");
    SecretSpec a = s.get(0);
    assertThat(a.gatewayUrl()).isEqualTo("http://127.0.0.1:4000");
    assertThat(a.managementKey().env()).isEqualTo("LITELLM_MASTER_KEY");
    assertThat(a.currentKey().file()).isEqualTo(dir.resolve("billing-api.key"));
    assertThat(a.policy().importCurrent()).isTrue();
    assertThat(a.schedule().every()).isEqualTo(Duration.ofDays(30));
    assertThat(a.schedule().jitter()).isEqualTo(Duration.ofHours(1));
    assertThat(a.grace()).isEqualTo(Duration.ofHours(24));
    assertThat(a.destinations().get(1).settings().get("path"))
        .isEqualTo(dir.resolve("out/billing.env").toString());
    SecretSpec b = s.get(1);
    assertThat(b.policy().importCurrent()).isFalse();
    assertThat(b.policy().fields()).containsEntry("max_budget", 25).containsKey("models");
    assertThat(b.managementKey().env()).as("default").isEqualTo("LITELLM_MASTER_KEY");
    assertThat(b.schedule().cron()).isEqualTo("0 3 * * 1");
    assertThat(b.grace()).isEqualTo(Duration.ofHours(24));
    assertThat(b.verifyModels()).isTrue();
  }

  @Test
  void aDirectoryMergesItsFilesAndRefusesAnIdDeclaredInTwo() throws Exception {
    Path d = Files.createDirectory(dir.resolve("conf"));
    Files.writeString(d.resolve("a.yaml"), GOOD);
    Files.writeString(d.resolve("b.yml"), GOOD.replace("id: search", "id: other"));
    ConfigProblem p = onlyProblem(d);
    assertThat(p.file()).isEqualTo(d.resolve("b.yml"));
    assertThat(p.message()).contains("'billing-api' is declared twice").contains("a.yaml");
  }

  static Stream<Arguments> badConfigs() {
    return Stream.of(
        bad(
            "duration",
            GOOD.replace("every: 30d", "every: 30days"),
            "secrets[0].schedule.every",
            "is not a duration"),
        bad(
            "grace not shorter",
            GOOD.replace("grace: 24h", "grace: 30d"),
            "secrets[0].grace",
            "is not shorter than the time between rotations"),
        bad(
            "grace vs cron",
            GOOD.replace("timezone: Europe/Paris", "timezone: Europe/Paris\n    grace: 8d"),
            "secrets[1].grace",
            "is not shorter than the time between rotations"),
        bad(
            "cron never fires",
            GOOD.replace("\"0 3 * * 1\"", "\"0 0 30 2 *\""),
            "secrets[1].schedule.cron",
            "never fires"),
        bad(
            "cron unreadable",
            GOOD.replace("\"0 3 * * 1\"", "\"61 * * * *\""),
            "secrets[1].schedule.cron",
            "is not a cron expression"),
        bad(
            "every and cron",
            GOOD.replace("every: 30d", "every: 30d\n      cron: \"0 3 * * 1\""),
            "secrets[0].schedule",
            "exactly one of 'every'"),
        bad(
            "no schedule kind",
            GOOD.replace("      every: 30d\n", ""),
            "secrets[0].schedule",
            "exactly one of 'every'"),
        bad(
            "time zone",
            GOOD.replace("Europe/Paris", "Mars/Olympus_Mons"),
            "secrets[1].schedule.timezone",
            "is not a time zone"),
        bad(
            "unknown policy field",
            GOOD.replace("max_budget: 25", "max_budjet: 25"),
            "secrets[1].policy.max_budjet",
            "is not a known field"),
        bad(
            "negative budget",
            GOOD.replace("max_budget: 25", "max_budget: -5"),
            "secrets[1].policy.max_budget",
            "minimum"),
        bad(
            "duplicate id",
            GOOD.replace("id: search", "id: billing-api"),
            "secret billing-api",
            "declared twice"),
        bad(
            "unknown store",
            GOOD.replace("type: aws-secretsmanager", "type: gcp-secret-manager"),
            "secrets[1].destinations[0].type",
            "gcp-secret-manager"),
        bad(
            "vault without name",
            GOOD.replace("        name: billing-api\n", ""),
            "secrets[0].destinations[0].name",
            "is missing"),
        bad(
            "aws region",
            GOOD.replace("eu-west-1", "Ireland"),
            "secrets[1].destinations[0].region",
            "AWS region"),
        bad(
            "gateway url",
            GOOD.replace("https://litellm.example.com", "litellm.example.com:4000"),
            "secrets[1].gateway.url",
            "http(s) URL"),
        bad(
            "secret id",
            GOOD.replace("id: search", "id: Search API"),
            "secrets[1].id",
            "valid secret id"),
        bad(
            "no destinations",
            GOOD.replace(
                "    destinations:\n      - type: aws-secretsmanager\n        secretId: litellm/search\n        region: eu-west-1\n",
                ""),
            "secrets[1].destinations",
            "is missing"),
        bad(
            "empty destinations",
            GOOD.replace(
                "    destinations:\n      - type: aws-secretsmanager\n        secretId: litellm/search\n        region: eu-west-1\n",
                "    destinations: []\n"),
            "secrets[1].destinations",
            "is empty"),
        bad(
            "two key sources",
            GOOD.replace("{file: billing-api.key}", "{file: billing-api.key, env: BILLING_KEY}"),
            "secrets[0].currentKey",
            "exactly one source"),
        bad(
            "key hash",
            GOOD.replace("{file: billing-api.key}", "{keyHash: abc123}"),
            "secrets[0].currentKey.keyHash",
            "token hash"),
        bad(
            "jitter",
            GOOD.replace("jitter: 1h", "jitter: 31d"),
            "secrets[0].schedule.jitter",
            "not shorter"),
        bad(
            "grace over 90 days",
            GOOD.replace("every: 30d", "every: 400d").replace("grace: 24h", "grace: 100d"),
            "secrets[0].grace",
            "90-day maximum"),
        bad(
            "yaml syntax",
            GOOD.replace("  - id: search", "  - id: search\n   bad: [unclosed"),
            "22:4",
            "not valid YAML"),
        bad(
            "policy import",
            GOOD.replace("import: current", "import: latest"),
            "secrets[0].policy.import",
            "must be 'current'"),
        bad("api version", GOOD.replace("keyturn/v1", "keyturn/v2"), "apiVersion", "keyturn/v1"),
        bad(
            "zero interval",
            GOOD.replace("every: 30d", "every: 0s")
                .replace("jitter: 1h", "jitter: 0s")
                .replace("grace: 24h", "grace: 0s"),
            "secrets[0].schedule.every",
            "at least 1s"),
        bad(
            "file without path",
            GOOD.replace("        path: out/billing.env\n", ""),
            "secrets[0].destinations[1].path",
            "is missing"),
        bad(
            "repeated destination",
            GOOD.replace(
                "      - type: file\n        path: out/billing.env\n        format: env\n        field: BILLING_KEY\n",
                "      - type: vault-kv2\n        name: billing-api\n"),
            "secrets[0].destinations[1]",
            "repeats destinations[0]"),
        bad(
            "unknown field",
            GOOD.replace("    grace: 24h\n", "    grace: 24h\n    gracePeriod: 2d\n"),
            "secrets[0].gracePeriod",
            "is not a known field"),
        bad(
            "management key env name",
            GOOD.replace("{env: LITELLM_MASTER_KEY}", "{env: \"1BAD NAME\"}"),
            "secrets[0].gateway.managementKey.env",
            "environment variable name"),
        bad(
            "template key env name",
            GOOD.replace("import: current", "import: {env: \"1X\"}"),
            "secrets[0].policy.import.env",
            "'1X' is not an environment variable name"),
        bad(
            "grace without a unit",
            GOOD.replace("grace: 24h", "grace: 24"),
            "secrets[0].grace",
            "'24' is not a duration"),
        bad(
            "negative duration",
            GOOD.replace("grace: 24h", "grace: -PT1H"),
            "secrets[0].grace",
            "is not a duration"),
        bad(
            "duration the pattern lets through",
            GOOD.replace("grace: 24h", "grace: P"),
            "secrets[0].grace",
            "'P' is not a duration"),
        bad(
            "wrong type",
            GOOD.replace("jitter: 1h", "jitter: 1h\n      paused: yes please"),
            "secrets[0].schedule.paused",
            "'yes please' is a string, where a boolean is expected"),
        bad(
            "destination without type",
            GOOD.replace("      - type: aws-secretsmanager\n        secretId", "      - secretId"),
            "secrets[1].destinations[0].type",
            "is missing"),
        bad(
            "drain recheck under a second",
            GOOD.replace("    grace: 24h\n", "    grace: 24h\n    drain: {recheckEvery: 0s}\n"),
            "secrets[0].drain",
            "recheckEvery must be at least 1s"),
        bad(
            "drain decision unknown",
            GOOD.replace("    grace: 24h\n", "    grace: 24h\n    drain: {onLimit: pray}\n"),
            "secrets[0].drain.onLimit",
            "is not a decision Keyturn knows"),
        bad(
            "drain hold over 30 days",
            GOOD.replace("    grace: 24h\n", "    grace: 24h\n    drain: {maxHold: 31d}\n"),
            "secrets[0].drain",
            "maxHold must be between 0 and 30 days"),
        bad(
            "short cron",
            GOOD.replace("\"0 3 * * 1\"", "\"* *\""),
            "secrets[1].schedule.cron",
            "is not a cron expression"));
  }

  static Arguments bad(String name, String yaml, String field, String message) {
    return Arguments.of(name, yaml, field, message);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badConfigs")
  void aBadConfigurationIsRefusedNamingTheFileFieldAndProblem(
      String name, String yaml, String field, String message) throws Exception {
    assertThat(yaml).as("the case changes the good file").isNotEqualTo(GOOD);
    Path f = write("keyturn.yaml", yaml);
    ConfigException e = refusal(f);
    assertThat(e.problems())
        .as(e.getMessage())
        .anySatisfy(
            p -> {
              assertThat(p.file()).isEqualTo(f);
              assertThat(p.field()).contains(field);
              assertThat(p.message()).contains(message);
            });
    assertThat(e.getMessage()).contains(f.toString());
  }

  @Test
  void aValueThatMatchesNoBranchOfAOneOfIsOneProblemWithAFix() throws Exception {
    for (String yaml :
        List.of(
            GOOD.replace("every: 30d", "every: 30d\n      cron: \"0 3 * * 1\""),
            GOOD.replace("      every: 30d\n", ""),
            GOOD.replace("import: current", "import: latest"))) {
      Path f = write("keyturn.yaml", yaml);
      assertThat(onlyProblem(f).fix()).isNotBlank();
    }
  }

  @Test
  void aDestinationWithoutATypeIsOneProblemNamingTheTypes() throws Exception {
    Path f =
        write(
            "keyturn.yaml",
            GOOD.replace("      - type: aws-secretsmanager\n        secretId", "      - secretId"));
    ConfigProblem p = onlyProblem(f);
    assertThat(p.field()).isEqualTo("secrets[1].destinations[0].type");
    assertThat(p.fix()).contains("vault-kv2", "aws-secretsmanager");
  }

  @Test
  void everyFieldTheSchemaAllowsMapsWithItsPathsResolvedAgainstTheFile() throws Exception {
    String all =
        GOOD.replace("  - id: search\n", "  - id: search\n    description: the search team\n")
            .replace("timezone: Europe/Paris", "timezone: Europe/Paris\n      paused: true")
            .replace("max_budget: 25", "max_budget: 25\n      import: {file: keys/template.key}")
            .replace("grace: 24h", "grace: PT36H\n    verify: {models: false}");
    assertThat(all).isNotEqualTo(GOOD);
    List<SecretSpec> s = ConfigLoader.load(write("keyturn.yaml", all));
    SecretSpec a = s.get(0);
    assertThat(a.grace()).isEqualTo(Duration.ofHours(36));
    assertThat(a.verifyModels()).isFalse();
    assertThat(a.schedule().timezone()).isEqualTo("UTC");
    assertThat(a.schedule().paused()).isFalse();
    SecretSpec b = s.get(1);
    assertThat(b.description()).isEqualTo("the search team");
    assertThat(b.schedule().paused()).isTrue();
    assertThat(b.policy().importCurrent()).isFalse();
    assertThat(b.policy().importFrom().file()).isEqualTo(dir.resolve("keys/template.key"));
    assertThat(b.policy().fields()).doesNotContainKey("import").containsKey("max_budget");
  }

  @Test
  void importCurrentWithFieldsCopiesThePolicyAndWritesTheFieldsOverIt() throws Exception {
    Path f =
        write(
            "keyturn.yaml",
            GOOD.replace("import: current", "import: current\n      max_budget: 3"));
    SecretSpec a = ConfigLoader.load(f).get(0);
    assertThat(a.policy().importCurrent()).isTrue();
    assertThat(a.policy().importFrom()).isNull();
    assertThat(a.policy().fields()).containsEntry("max_budget", 3);
  }

  @Test
  void aYamlSyntaxErrorIsFileLineColumnAndTheParsersOneLineProblem() throws Exception {
    Path f =
        write("keyturn.yaml", GOOD.replace("  - id: search", "  - id: search\n   bad: [unclosed"));
    String text = onlyProblem(f).toString();
    assertThat(text).matches("(?s)\\Q" + f + "\\E:\\d+:\\d+: is not valid YAML: .*");
    assertThat(text).doesNotContain("\n").doesNotContain("^").doesNotContain("in 'reader'");
  }

  @Test
  void anUnknownDestinationTypeNamesTheTypesThatExist() throws Exception {
    Path f = write("keyturn.yaml", GOOD.replace("type: vault-kv2", "type: vault"));
    assertThat(refusal(f).getMessage())
        .contains("secrets[0].destinations[0].type")
        .contains("'vault'")
        .contains("vault-kv2")
        .contains("aws-secretsmanager")
        .contains("file")
        .contains("Fix:")
        .doesNotContain("enumeration");
  }

  @Test
  void aMissingFileOrAnEmptyDirectorySaysWhatToPointAt() throws Exception {
    assertThatThrownBy(() -> ConfigLoader.load(dir.resolve("nope.yaml")))
        .hasMessageContaining("does not exist")
        .hasMessageContaining("-f");
    Path empty = Files.createDirectory(dir.resolve("empty"));
    assertThatThrownBy(() -> ConfigLoader.load(empty)).hasMessageContaining("no *.yaml");
  }

  @Test
  void aKubernetesSecretDestinationLoadsAndABadNameIsRefused() throws Exception {
    String k8s =
        GOOD.replace(
            "      - type: aws-secretsmanager\n        secretId: litellm/search\n        region: eu-west-1\n",
            "      - type: kubernetes-secret\n        namespace: search\n        name: litellm-key\n");
    assertThat(k8s).isNotEqualTo(GOOD);
    List<SecretSpec> s = ConfigLoader.load(write("k8s.yaml", k8s));
    assertThat(s.get(1).destinations().get(0).describe())
        .isEqualTo("kubernetes-secret search/litellm-key#key");
    Path bad = write("bad.yaml", k8s.replace("name: litellm-key", "name: Litellm_Key"));
    assertThat(refusal(bad).problems())
        .anySatisfy(p -> assertThat(p.field()).contains("destinations[0].name"));
  }

  @Test
  void drainIsTheDefaultUnlessWrittenOutOrTurnedOff() throws Exception {
    assertThat(ConfigLoader.load(write("keyturn.yaml", GOOD)).get(0).drain()).isNull();
    SecretSpec written =
        ConfigLoader.load(
                write(
                    "keyturn.yaml",
                    GOOD.replace(
                        "    grace: 24h\n",
                        "    grace: 24h\n    drain: {usedWithin: 30m, onLimit: wait}\n")))
            .get(0);
    assertThat(written.drain())
        .isEqualTo(
            new io.keyturn.workflows.model.DrainPolicy(
                Duration.ofMinutes(30),
                Duration.ofMinutes(5),
                Duration.ofHours(24),
                io.keyturn.workflows.model.DrainPolicy.OnLimit.WAIT));
    SecretSpec off =
        ConfigLoader.load(
                write(
                    "keyturn.yaml",
                    GOOD.replace(
                        "    grace: 24h\n", "    grace: 24h\n    drain: {enabled: false}\n")))
            .get(0);
    assertThat(off.drain()).isEqualTo(io.keyturn.workflows.model.DrainPolicy.OFF);
    assertThat(off.drain().enabled()).isFalse();
  }
}
