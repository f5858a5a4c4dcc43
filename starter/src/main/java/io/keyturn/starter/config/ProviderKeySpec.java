package io.keyturn.starter.config;

import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProxySecretStore;
import io.keyturn.workflows.provider.ProviderTypes;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code providerKeys:} entry of keyturn.yaml, checked: the proxy, the model group whose
 * deployments carry the provider key, where new keys come from (with that provider's settings, as
 * its {@code ProviderType} declares and checked them), the timings, and when it is rotated ({@code
 * schedule}, null when only {@code keyturn rotate-provider} does).
 */
public record ProviderKeySpec(
    String id,
    Path file,
    String gateway,
    String modelGroup,
    String provider,
    Map<String, String> settings,
    Duration overlap,
    Duration grace,
    Duration keyDeadline,
    ProxySecretStore secretStore,
    SecretSpec.Schedule schedule) {

  public ProviderKeySpec {
    settings =
        settings == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(settings));
  }

  /**
   * An entry as read: its provider {@code settings}, {@code secretStore} when the proxy reads the
   * key from one, and its {@code schedule}, all checked by the loader (null when absent).
   */
  static ProviderKeySpec of(
      Path f,
      KeyturnFile.ProviderKeyEntry e,
      Map<String, String> settings,
      ProxySecretStore secretStore,
      SecretSpec.Schedule schedule) {
    return new ProviderKeySpec(
        e.id(),
        f,
        e.gateway().url().replaceAll("/+$", ""),
        e.modelGroup(),
        e.provider(),
        settings,
        e.overlap(),
        e.grace(),
        e.keyDeadline(),
        secretStore,
        schedule);
  }

  /**
   * Whether each rotation waits for a person's {@code keyturn provide}: its provider is not
   * automated.
   */
  public boolean waitsForKey() {
    return ProviderTypes.find(provider).map(t -> !t.automated()).orElse(false);
  }

  public String workflowId() {
    return ProviderKeyRequest.workflowIdFor(modelGroup);
  }

  /** The rotation this entry asks for. */
  public ProviderKeyRequest request(String requestedBy) {
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
}
