package io.keyturn.workflows.model;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the proxy is restarted after its master key was published, so that every replica reads the
 * new one: {@code webhook} (a POST to {@code url}, 2xx expected), {@code manual} (the rotation
 * waits for {@code keyturn confirm-restart}) or {@code kubernetes} (a rollout restart of {@code
 * deployment}, as {@code kubectl rollout restart} does). {@code deadline}: how long the restart may
 * take before the rotation says it is overdue (it keeps waiting: the proxy and the stores must not
 * be left disagreeing silently).
 */
public record RestartSpec(
    String mode,
    String url,
    String deployment,
    String namespace,
    String context,
    Duration deadline) {
  public static final String WEBHOOK = "webhook";
  public static final String MANUAL = "manual";
  public static final String KUBERNETES = "kubernetes";
  public static final List<String> MODES = List.of(WEBHOOK, MANUAL, KUBERNETES);
  public static final Duration DEFAULT_DEADLINE = Duration.ofMinutes(30);

  public RestartSpec {
    Objects.requireNonNull(mode, "mode");
    if (!MODES.contains(mode)) {
      throw new IllegalArgumentException(
          "restart mode '" + mode + "' is not one of " + String.join(", ", MODES));
    }
    if (mode.equals(WEBHOOK) && (url == null || url.isBlank())) {
      throw new IllegalArgumentException("restart mode webhook needs its url");
    }
    if (mode.equals(KUBERNETES) && (deployment == null || deployment.isBlank())) {
      throw new IllegalArgumentException("restart mode kubernetes needs its deployment");
    }
    if (deadline == null) {
      deadline = DEFAULT_DEADLINE;
    }
  }

  public static RestartSpec webhook(String url) {
    return new RestartSpec(WEBHOOK, url, null, null, null, null);
  }

  public static RestartSpec manual(Duration deadline) {
    return new RestartSpec(MANUAL, null, null, null, null, deadline);
  }

  /** In words, for messages: {@code webhook POST https://...}, {@code manual}, ... */
  public String describe() {
    return switch (mode) {
      case WEBHOOK -> "webhook POST " + url;
      case KUBERNETES ->
          "kubernetes rollout restart of deployment "
              + (namespace == null || namespace.isBlank() ? "default" : namespace)
              + "/"
              + deployment;
      default -> "manual (keyturn confirm-restart)";
    };
  }
}
