package io.keyturn.worker.config;

import io.micronaut.context.annotation.ConfigurationProperties;
import io.micronaut.core.annotation.Nullable;
import java.util.List;

/**
 * Where the worker serves Prometheus metrics ({@code keyturn.metrics.*}: KEYTURN_METRICS_HOST,
 * KEYTURN_METRICS_PORT; defaults in application.yml). Port 0 (or less) turns the endpoint off.
 */
@ConfigurationProperties("keyturn.metrics")
public record MetricsSettings(@Nullable String host, int port) {

  /** Every problem with these settings, each naming the variable to set. Empty when all is well. */
  public List<String> problems() {
    return port > 65535
        ? List.of("KEYTURN_METRICS_PORT=" + port + " is not a port: use 1-65535, or 0 to turn off")
        : List.of();
  }

  public boolean enabled() {
    return port > 0;
  }
}
