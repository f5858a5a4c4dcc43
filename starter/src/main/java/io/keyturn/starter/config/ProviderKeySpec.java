package io.keyturn.starter.config;

import io.keyturn.workflows.model.ProviderKeyRequest;
import io.keyturn.workflows.model.ProxySecretStore;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code providerKeys:} entry of keyturn.yaml, checked: the proxy, the model group whose
 * deployments carry the provider key, where new keys come from (with that provider's settings, as
 * its {@code ProviderType} declares and checked them), and the timings.
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
    ProxySecretStore secretStore) {

  public ProviderKeySpec {
    settings =
        settings == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(settings));
  }

  /**
   * An entry whose provider settings the loader has checked ({@code settings}), with {@code
   * secretStore} when the proxy reads the key from one (null: it stores the key with its
   * deployment).
   */
  static ProviderKeySpec of(
      Path f,
      KeyturnFile.ProviderKeyEntry e,
      Map<String, String> settings,
      ProxySecretStore secretStore) {
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
        secretStore);
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
