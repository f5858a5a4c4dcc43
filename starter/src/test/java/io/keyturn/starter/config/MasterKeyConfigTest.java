package io.keyturn.starter.config;

import static io.keyturn.starter.config.ConfigRefusals.onlyProblem;
import static org.assertj.core.api.Assertions.assertThat;

import io.keyturn.workflows.model.RestartSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keyturn.yaml's {@code masterKeys:}: a good entry loads; bad ones are refused, saying why. */
class MasterKeyConfigTest {
  @TempDir Path dir;

  static final String GOOD =
      """
      apiVersion: keyturn/v1
      masterKeys:
        - id: prod
          gateway: {url: http://127.0.0.1:4000/}
          destinations:
            - {type: vault-kv2, name: litellm-master, field: LITELLM_MASTER_KEY}
            - {type: file, path: proxy.env, format: env, field: LITELLM_MASTER_KEY}
          saltKey: false
          restart: {mode: webhook, url: "http://127.0.0.1:9000/restart", deadline: 10m}
        - id: staging
          gateway: {url: https://litellm.staging.example.com}
          destinations: [{type: kubernetes-secret, name: litellm-master, namespace: litellm}]
          saltKey: true
          restart: {mode: kubernetes, deployment: litellm, namespace: litellm}
      """;

  Path write(String yaml) throws Exception {
    Path p = dir.resolve("keyturn.yaml");
    Files.writeString(p, yaml);
    return p;
  }

  @Test
  void aGoodFileLoads() throws Exception {
    List<MasterKeySpec> all = ConfigLoader.loadMasterKeys(write(GOOD));
    assertThat(all).extracting(MasterKeySpec::id).containsExactly("prod", "staging");
    MasterKeySpec prod = all.get(0);
    assertThat(prod.gateway()).isEqualTo("http://127.0.0.1:4000");
    assertThat(prod.saltKey()).isFalse();
    assertThat(prod.restart().mode()).isEqualTo(RestartSpec.WEBHOOK);
    assertThat(prod.restart().deadline()).isEqualTo(Duration.ofMinutes(10));
    assertThat(prod.destinations().get(1).settings().get("path"))
        .isEqualTo(dir.resolve("proxy.env").toString());
    assertThat(all.get(1).restart().deadline()).isEqualTo(RestartSpec.DEFAULT_DEADLINE);
    assertThat(ConfigLoader.load(write(GOOD))).as("no virtual-key secrets").isEmpty();
  }

  @Test
  void saltKeyHasNoDefault() throws Exception {
    ConfigProblem p = onlyProblem(write(GOOD.replace("    saltKey: false\n", "")));
    assertThat(p.field()).isEqualTo("masterKeys[0].saltKey");
    assertThat(p.message()).isEqualTo("is missing.");
    assertThat(p.fix()).contains("saltKey: true if the proxy sets LITELLM_SALT_KEY", "no default");
  }

  @Test
  void webhookNeedsItsUrl() throws Exception {
    ConfigProblem p =
        onlyProblem(
            write(
                GOOD.replace(
                    "{mode: webhook, url: \"http://127.0.0.1:9000/restart\", deadline: 10m}",
                    "{mode: webhook}")));
    assertThat(p.field()).isEqualTo("masterKeys[0].restart.url");
    assertThat(p.fix()).contains("POSTs to 'url'");
  }

  @Test
  void kubernetesNeedsItsDeployment() throws Exception {
    ConfigProblem p =
        onlyProblem(
            write(
                GOOD.replace(
                    "{mode: kubernetes, deployment: litellm, namespace: litellm}",
                    "{mode: kubernetes}")));
    assertThat(p.field()).isEqualTo("masterKeys[1].restart.deployment");
    assertThat(p.fix()).contains("add deployment:");
  }

  @Test
  void anUnknownRestartModeIsRefused() throws Exception {
    ConfigProblem p = onlyProblem(write(GOOD.replace("{mode: kubernetes,", "{mode: ssh,")));
    assertThat(p.field()).isEqualTo("masterKeys[1].restart.mode");
    assertThat(p.fix()).contains("webhook, manual, kubernetes");
  }

  @Test
  void aFileDeclaringNothingIsRefused() throws Exception {
    ConfigProblem p = onlyProblem(write("apiVersion: keyturn/v1\n"));
    assertThat(p.field()).isEqualTo("secrets");
    assertThat(p.fix()).contains("or 'masterKeys:'");
  }

  @Test
  void theOperatorsDeploymentCanBeRestartedWithTheProxy() throws Exception {
    List<MasterKeySpec> all =
        ConfigLoader.loadMasterKeys(
            write(
                GOOD.replace(
                    "    restart: {mode: kubernetes, deployment: litellm, namespace: litellm}\n",
                    "    restart: {mode: kubernetes, deployment: litellm, namespace: litellm}\n"
                        + "    alsoRestart:\n"
                        + "      - {deployment: litellm-operator, namespace: litellm-system}\n")));
    assertThat(all.get(0).alsoRestart()).isEmpty();
    assertThat(all.get(1).alsoRestart())
        .containsExactly(
            new io.keyturn.workflows.model.RestartTarget(
                "litellm-operator", "litellm-system", null));
    assertThat(all.get(1).request("t").alsoRestart()).hasSize(1);
  }

  @Test
  void anAlsoRestartEntryNeedsItsDeployment() throws Exception {
    ConfigProblem p =
        onlyProblem(
            write(
                GOOD.replace(
                    "    restart: {mode: kubernetes, deployment: litellm, namespace: litellm}\n",
                    "    restart: {mode: kubernetes, deployment: litellm, namespace: litellm}\n"
                        + "    alsoRestart: [{namespace: litellm-system}]\n")));
    assertThat(p.field()).startsWith("masterKeys[1].alsoRestart[0]");
  }
}
