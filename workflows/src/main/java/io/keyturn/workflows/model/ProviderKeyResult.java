package io.keyturn.workflows.model;

import java.util.List;

/** A finished provider-key rotation: what serves the group now and what was removed. */
public record ProviderKeyResult(
    String modelGroup,
    String newDeployment,
    String newKey,
    List<String> removedDeployments,
    String summary) {}
