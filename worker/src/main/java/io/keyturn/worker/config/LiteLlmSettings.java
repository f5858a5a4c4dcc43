package io.keyturn.worker.config;

import io.keyturn.gateway.litellm.GatewayPacing;
import io.keyturn.workflows.crypto.SecretFiles;
import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * How the worker calls LiteLLM's management API ({@code keyturn.litellm.*}; defaults in
 * application.yml).
 *
 * @param managementKey LITELLM_MASTER_KEY: a master key or a scoped proxy_admin key
 * @param managementKeyFile LITELLM_MASTER_KEY_FILE: a file holding it, re-read at each use
 * @param timeout KEYTURN_LITELLM_TIMEOUT: of each HTTP call (the same client calls Vault)
 * @param pacing KEYTURN_LITELLM_PACING: {@code adaptive} or {@code off}
 */
@ConfigurationProperties("keyturn.litellm")
public record LiteLlmSettings(
    @Nullable String managementKey,
    @Nullable String managementKeyFile,
    @Nullable Duration timeout,
    @Nullable String pacing) {

  /** Every problem with these settings, each naming the variable to set. Empty when all is well. */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    if (Blank.is(managementKey) && Blank.is(managementKeyFile)) {
      problems.add("no LiteLLM management key: set LITELLM_MASTER_KEY or LITELLM_MASTER_KEY_FILE");
    } else if (!Blank.is(managementKeyFile) && !Files.isReadable(Path.of(managementKeyFile))) {
      problems.add("LITELLM_MASTER_KEY_FILE=" + managementKeyFile + " is not a readable file");
    }
    if (!"adaptive".equals(pacing) && !"off".equals(pacing)) {
      problems.add(
          "KEYTURN_LITELLM_PACING is '"
              + pacing
              + "': use adaptive (the default: a 429 slows this worker's management calls to that"
              + " proxy) or off (each call's 429 fails its activity attempt, which retries)");
    }
    return problems;
  }

  /** The management key: the value, or its file read at each use (a rotated key is picked up). */
  public Supplier<String> managementKeySource() {
    return SecretFiles.source(managementKey, managementKeyFile, "LITELLM_MASTER_KEY_FILE");
  }

  /** The pacing of management calls, telling {@code listener} when a proxy throttles. */
  public GatewayPacing gatewayPacing(GatewayPacing.Listener listener) {
    return "adaptive".equals(pacing) ? GatewayPacing.adaptive(listener) : GatewayPacing.off();
  }

  /** Says whether the key is set, never the key. */
  @Override
  public String toString() {
    return "LiteLlmSettings[managementKey="
        + Blank.mask(managementKey)
        + ", managementKeyFile="
        + managementKeyFile
        + ", timeout="
        + timeout
        + ", pacing="
        + pacing
        + "]";
  }
}
