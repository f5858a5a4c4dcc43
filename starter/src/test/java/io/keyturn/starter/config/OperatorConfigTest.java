package io.keyturn.starter.config;

import static io.keyturn.starter.config.ConfigRefusals.onlyProblem;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A secret's {@code operator: {virtualKey: <namespace>/<name>}}: loaded, or refused saying why. */
class OperatorConfigTest {
  @TempDir Path dir;

  static final String GOOD =
      """
      apiVersion: keyturn/v1
      secrets:
        - id: billing-api
          gateway: {url: http://127.0.0.1:4000/}
          operator: {virtualKey: litellm/billing-api}
          destinations: [{type: kubernetes-secret, name: billing-api-key, namespace: apps}]
          schedule: {every: 30d}
        - id: search
          gateway: {url: http://127.0.0.1:4000/}
          destinations: [{type: vault-kv2, name: search}]
          schedule: {every: 30d}
      """;

  Path write(String yaml) throws Exception {
    Path p = dir.resolve("keyturn.yaml");
    Files.writeString(p, yaml);
    return p;
  }

  @Test
  void theVirtualKeyIsLoadedAndAPlainSecretHasNone() throws Exception {
    List<SecretSpec> all = ConfigLoader.load(write(GOOD));
    assertThat(all.get(0).operatorVirtualKey()).isEqualTo("litellm/billing-api");
    assertThat(all.get(1).operatorVirtualKey()).isNull();
  }

  @Test
  void aVirtualKeyWithoutItsNamespaceIsRefused() throws Exception {
    ConfigProblem p =
        onlyProblem(write(GOOD.replace("{virtualKey: litellm/billing-api}", "{virtualKey: x}")));
    assertThat(p.field()).isEqualTo("secrets[0].operator.virtualKey");
    assertThat(p.message()).contains("<namespace>/<name>");
    assertThat(p.fix()).contains("litellm/billing-api");
  }

  @Test
  void anUnknownOperatorFieldIsRefused() throws Exception {
    ConfigProblem p =
        onlyProblem(
            write(
                GOOD.replace(
                    "{virtualKey: litellm/billing-api}",
                    "{virtualKey: litellm/billing-api, mode: x}")));
    assertThat(p.field()).startsWith("secrets[0].operator");
  }
}
