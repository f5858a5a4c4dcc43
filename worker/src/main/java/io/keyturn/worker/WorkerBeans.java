package io.keyturn.worker;

import io.keyturn.activities.litellm.LiteLlmActivitiesImpl;
import io.keyturn.activities.store.SecretStoreActivitiesImpl;
import io.keyturn.activities.store.SecretStoreRegistry;
import io.keyturn.activities.vault.VaultKv2Client;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.GatewayPacing;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.worker.config.CodecSettings;
import io.keyturn.worker.config.KeySettings;
import io.keyturn.worker.config.LiteLlmSettings;
import io.keyturn.worker.config.MetricsSettings;
import io.keyturn.worker.config.OperatorSettings;
import io.keyturn.worker.config.VaultSettings;
import io.keyturn.worker.config.WorkerSettings;
import io.keyturn.worker.observe.RotationMetrics;
import io.keyturn.workflows.client.TemporalConnection;
import io.keyturn.workflows.crypto.PayloadKeys;
import io.keyturn.workflows.crypto.WorkerKeyring;
import io.micronaut.context.annotation.Bean;
import io.micronaut.context.annotation.Factory;
import jakarta.inject.Singleton;
import java.util.ArrayList;
import java.util.List;

/**
 * What the worker is made of, built from its settings. The settings are checked together when this
 * factory is made, before any of its beans: a worker with bad settings names every problem at once
 * (each with the variable to set, never a secret's value) and polls nothing.
 */
@Factory
public class WorkerBeans {
  private final WorkerSettings worker;
  private final LiteLlmSettings litellm;
  private final VaultSettings vault;
  private final KeySettings keys;
  private final OperatorSettings operator;

  WorkerBeans(
      WorkerSettings worker,
      LiteLlmSettings litellm,
      VaultSettings vault,
      KeySettings keys,
      MetricsSettings metrics,
      CodecSettings codec,
      OperatorSettings operator) {
    List<String> problems = new ArrayList<>();
    problems.addAll(operator.problems());
    problems.addAll(litellm.problems());
    problems.addAll(vault.problems());
    problems.addAll(keys.problems());
    problems.addAll(worker.problems());
    problems.addAll(metrics.problems());
    problems.addAll(codec.problems());
    if (!problems.isEmpty()) {
      throw new IllegalStateException(
          "Keyturn worker cannot start:\n  - " + String.join("\n  - ", problems));
    }
    this.worker = worker;
    this.litellm = litellm;
    this.vault = vault;
    this.keys = keys;
    this.operator = operator;
  }

  @Singleton
  TemporalConnection temporalConnection() {
    return worker.temporal();
  }

  @Singleton
  WorkerKeyring workerKeyring() {
    return keys.workerKeyring();
  }

  @Singleton
  PayloadKeys payloadKeys() {
    return keys.payloadKeys();
  }

  @Singleton
  RotationMetrics rotationMetrics() {
    return new RotationMetrics();
  }

  /** The HTTP client of every LiteLLM and Vault call; closed after the worker has stopped. */
  @Singleton
  @Bean(preDestroy = "close")
  JsonHttp jsonHttp() {
    return new JsonHttp(litellm.timeout());
  }

  @Singleton
  GatewayPacing gatewayPacing(RotationMetrics metrics) {
    return litellm.gatewayPacing(metrics::gatewayThrottled);
  }

  @Singleton
  LiteLlmClient liteLlmClient(JsonHttp http, GatewayPacing pacing) {
    return new LiteLlmClient(http, litellm.managementKeySource(), pacing);
  }

  @Singleton
  VaultKv2Client vaultKv2Client(JsonHttp http) {
    return new VaultKv2Client(http, vault.address(), vault.auth(http));
  }

  @Singleton
  SecretStoreRegistry secretStores(VaultKv2Client vaultClient) {
    return SecretStoreRegistry.builtIn(vaultClient);
  }

  @Singleton
  LiteLlmActivitiesImpl liteLlmActivities(LiteLlmClient client, WorkerKeyring keyring) {
    LiteLlmActivitiesImpl activities = new LiteLlmActivitiesImpl(client, keyring);
    if (operator.enabled()) {
      activities.withVirtualKeyClaims(
          new io.keyturn.activities.operator.KubernetesVirtualKeys(
              WorkerBeans::kubernetes, operator.namespace()));
    }
    return activities;
  }

  @Singleton
  SecretStoreActivitiesImpl secretStoreActivities(
      SecretStoreRegistry stores, WorkerKeyring keyring) {
    return new SecretStoreActivitiesImpl(stores, keyring);
  }

  @Singleton
  io.keyturn.activities.master.MasterKeyActivitiesImpl masterKeyActivities(
      JsonHttp http, SecretStoreRegistry stores, WorkerKeyring keyring) {
    return new io.keyturn.activities.master.MasterKeyActivitiesImpl(
        http, stores, keyring, new io.keyturn.activities.master.KubernetesRestart());
  }

  /**
   * Rotations through the LiteLLM operator. The Kubernetes client is made per call, so a worker
   * outside any cluster starts (and fails such a rotation's first step saying why).
   */
  @Singleton
  io.keyturn.activities.operator.OperatorActivitiesImpl operatorActivities(
      LiteLlmClient client, SecretStoreRegistry stores) {
    return new io.keyturn.activities.operator.OperatorActivitiesImpl(
        WorkerBeans::kubernetes, client, stores);
  }

  /** A client from the in-cluster service account or kubeconfig (KUBECONFIG), as the stores'. */
  static io.fabric8.kubernetes.client.KubernetesClient kubernetes() {
    var c = io.fabric8.kubernetes.client.Config.autoConfigure(null);
    c.setRequestRetryBackoffLimit(1);
    return new io.fabric8.kubernetes.client.KubernetesClientBuilder().withConfig(c).build();
  }

  /**
   * The provider-key rotation's calls, with every provider on the class path ({@link
   * io.keyturn.activities.provider.KeyProviders}); each reads its own credentials from the
   * environment (openai: KEYTURN_OPENAI_ADMIN_KEY_FILE; aws-iam: the AWS SDK's default chain).
   */
  @Singleton
  io.keyturn.activities.provider.ProviderKeyActivitiesImpl providerKeyActivities(
      JsonHttp http, WorkerKeyring keyring) {
    return new io.keyturn.activities.provider.ProviderKeyActivitiesImpl(
        http,
        litellm.managementKeySource(),
        keyring,
        io.keyturn.activities.provider.KeyProviders.builtIn(
            new io.keyturn.activities.provider.ProviderContext(http, System.getenv())));
  }
}
