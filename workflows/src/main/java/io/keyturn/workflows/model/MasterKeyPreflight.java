package io.keyturn.workflows.model;

import java.util.List;

/**
 * What the preflight found, for verify to compare: the current master key (sealed), the stored
 * models (ids of those that answered their health check) and the number of stored credentials.
 */
public record MasterKeyPreflight(
    MasterKey current, int storedModels, List<String> healthyModelIds, int credentials) {
  public MasterKeyPreflight {
    healthyModelIds = List.copyOf(healthyModelIds);
  }
}
