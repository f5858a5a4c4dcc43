package io.keyturn.starter.config;

import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProxySecretStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code providerKeys:} entry of keyturn.yaml, checked: the proxy, the model group whose
 * deployments carry the provider key, where new keys come from (with that provider's settings:
 * {@code project} for openai; {@code iamUser}, {@code region}, {@code endpoint} for aws-iam), the
 * timings, and when it is rotated ({@code schedule}, null when only {@code keyturn rotate-provider}
 * does).
 */
public record ProviderKeySpec(
    String id,
    Path file,
    String gateway,
    String modelGroup,
    String provider,
    String project,
    String iamUser,
    String region,
    String endpoint,
    Duration overlap,
    Duration grace,
    Duration keyDeadline,
    ProxySecretStore secretStore,
    SecretSpec.Schedule schedule) {

  /**
   * An entry as read: {@code secretStore} when the proxy reads the key from one, and its {@code
   * schedule}, both checked by the loader (null when absent).
   */
  static ProviderKeySpec of(
      Path f,
      KeyturnFile.ProviderKeyEntry e,
      ProxySecretStore secretStore,
      SecretSpec.Schedule schedule) {
    return new ProviderKeySpec(
        e.id(),
        f,
        e.gateway().url().replaceAll("/+$", ""),
        e.modelGroup(),
        e.provider(),
        e.project(),
        e.iamUser(),
        e.region(),
        e.endpoint(),
        e.overlap(),
        e.grace(),
        e.keyDeadline(),
        secretStore,
        schedule);
  }

  /** Whether each rotation waits for a person's {@code keyturn provide}. */
  public boolean waitsForKey() {
    return ProviderKeyRequest.MANUAL.equals(provider);
  }

  public String workflowId() {
    return ProviderKeyRequest.workflowIdFor(modelGroup);
  }

  /** The rotation this entry asks for. */
  public ProviderKeyRequest request(String requestedBy) {
    Map<String, String> settings = new LinkedHashMap<>();
    // the provider's own settings, by the names its class reads (OpenAiProvider.PROJECT, ...)
    put(settings, "project", project);
    put(settings, "iamUser", iamUser);
    put(settings, "region", region);
    put(settings, "endpoint", endpoint);
    return new ProviderKeyRequest(
        id,
        gateway,
        modelGroup,
        provider,
        settings,
        overlap,
        grace,
        keyDeadline,
        requestedBy,
        secretStore);
  }

  private static void put(Map<String, String> settings, String key, String value) {
    if (value != null) {
      settings.put(key, value);
    }
  }
}
