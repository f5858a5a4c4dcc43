package io.keyturn.starter.config;

import io.keyturn.workflows.model.ProviderKeyRequest;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One {@code providerKeys:} entry of keyturn.yaml, checked: the proxy, the model group whose
 * deployments carry the provider key, where new keys come from, the timings, and when it is rotated
 * ({@code schedule}, null when only {@code keyturn rotate-provider} does).
 */
public record ProviderKeySpec(
    String id,
    Path file,
    String gateway,
    String modelGroup,
    String provider,
    String project,
    Duration overlap,
    Duration grace,
    Duration keyDeadline,
    SecretSpec.Schedule schedule) {

  /** An entry without a schedule (rotated with {@code keyturn rotate-provider} only). */
  public ProviderKeySpec(
      String id,
      Path file,
      String gateway,
      String modelGroup,
      String provider,
      String project,
      Duration overlap,
      Duration grace,
      Duration keyDeadline) {
    this(id, file, gateway, modelGroup, provider, project, overlap, grace, keyDeadline, null);
  }

  static ProviderKeySpec of(Path f, KeyturnFile.ProviderKeyEntry e, SecretSpec.Schedule schedule) {
    return new ProviderKeySpec(
        e.id(),
        f,
        e.gateway().url().replaceAll("/+$", ""),
        e.modelGroup(),
        e.provider(),
        e.project(),
        e.overlap(),
        e.grace(),
        e.keyDeadline(),
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
    if (project != null) {
      settings.put("project", project);
    }
    return new ProviderKeyRequest(
        id, gateway, modelGroup, provider, settings, overlap, grace, keyDeadline, requestedBy);
  }
}
