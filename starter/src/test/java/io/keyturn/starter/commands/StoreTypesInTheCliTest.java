package io.keyturn.starter.commands;

import static io.keyturn.starter.config.ConfigRefusals.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.starter.checks.OnlineChecks;
import io.keyturn.starter.config.ConfigLoader;
import io.keyturn.starter.config.ConfigProblem;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.workflows.store.StoreSetting;
import io.keyturn.workflows.store.StoreType;
import io.keyturn.workflows.store.StoreTypes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The schema, the {@code rotate --to} help, the validation of keyturn.yaml and the checks from here
 * are all made from the store types, so they agree with each other and with the worker.
 */
class StoreTypesInTheCliTest {
  @TempDir Path dir;

  @Test
  void theSchemaHasEveryStoreTypeWithExactlyItsSettings() throws Exception {
    JsonNode dest = new ObjectMapper().readTree(ConfigLoader.schemaText()).at("/$defs/destination");
    List<String> types = new ArrayList<>();
    dest.at("/properties/type/enum").forEach(t -> types.add(t.asText()));
    assertThat(types)
        .containsExactlyInAnyOrderElementsOf(StoreTypes.names())
        .contains("vault-kv2", "aws-secretsmanager", "file", "kubernetes-secret");
    for (JsonNode branch : dest.get("allOf")) {
      StoreType<?> t = StoreTypes.get(branch.at("/if/properties/type/const").asText());
      TreeSet<String> props = new TreeSet<>();
      branch.at("/then/properties").fieldNames().forEachRemaining(props::add);
      TreeSet<String> expected = new TreeSet<>(List.of("type"));
      t.settings().forEach(s -> expected.add(s.name()));
      assertThat(props).as(t.name()).isEqualTo(expected);
      assertThat(branch.at("/then/additionalProperties").asBoolean(true)).isFalse();
    }
  }

  @Test
  void aVaultPathIsRefusedByTheFileAsByTheWorker() throws Exception {
    Path f = yaml("{type: vault-kv2, name: billing, path: litellm/billing}");
    assertThat(refusal(f).problems())
        .anySatisfy(
            p -> {
              assertThat(p.field()).endsWith("destinations[0].path");
              assertThat(p.message()).contains("not a known field");
            });
  }

  @Test
  void aSettingTheSchemaAcceptsButTheTypeRefusesIsAProblemOfTheFile() throws Exception {
    // The schema's pattern takes x.previous; the type refuses it (Keyturn keeps the old value
    // there).
    Path f = yaml("{type: kubernetes-secret, name: litellm-billing, field: x.previous}");
    assertThat(refusal(f).problems())
        .anySatisfy(
            p -> {
              assertThat(p.field()).endsWith("destinations[0]");
              assertThat(p.message()).contains(".previous");
            });
  }

  @Test
  void theToHelpShowsEveryStoreType() {
    String help = new CommandLine(new RotateCommand()).getUsageMessage();
    for (StoreType<?> t : StoreTypes.all()) {
      assertThat(help).contains(t.usage().substring(0, Math.min(30, t.usage().length())));
    }
    assertThat(help).contains("kubernetes-secret:name=");
  }

  @Test
  void theCheckFromHereCoversKubernetesSecrets() throws Exception {
    Path f =
        yaml(
            "{type: kubernetes-secret, name: litellm-billing, kubeconfig: "
                + dir.resolve("no-such-kubeconfig")
                + "}");
    List<SecretSpec> specs = ConfigLoader.load(f);
    List<ConfigProblem> problems = new OnlineChecks(Map.of(), Duration.ofSeconds(1)).run(specs);
    assertThat(problems)
        .anySatisfy(
            p -> {
              assertThat(p.field()).endsWith("destinations[0].kubeconfig");
              assertThat(p.message()).contains("no-such-kubeconfig");
            });
  }

  @Test
  void everySettingOfEveryTypeIsDescribed() {
    for (StoreType<?> t : StoreTypes.all()) {
      assertThat(t.summary()).as(t.name()).isNotBlank();
      for (StoreSetting s : t.settings()) {
        assertThat(s.description()).as(t.name() + "." + s.name()).isNotBlank();
      }
    }
  }

  private Path yaml(String destination) throws Exception {
    Path f = dir.resolve("keyturn.yaml");
    Files.writeString(
        f,
        """
        apiVersion: keyturn/v1
        secrets:
          - id: billing
            gateway: {url: http://127.0.0.1:1, managementKey: {env: NOT_SET_HERE}}
            currentKey: {keyHash: %s}
            destinations:
              - %s
            schedule: {every: 30d}
        """
            .formatted("a".repeat(64), destination));
    return f;
  }
}
