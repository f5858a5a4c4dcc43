package io.keyturn.workflows.model;

import java.util.List;

/**
 * What a provider-key rotation says about itself: its phase and detail, the deployments serving the
 * group (old and new ids), the key fingerprints, and what it waits for (a key from {@code keyturn
 * provide} until {@code keyDeadline}, or {@code keyturn confirm-revoked}).
 */
public record ProviderKeyStatus(
    ProviderKeyPhase phase,
    String detail,
    String modelGroup,
    List<String> oldDeployments,
    String newDeployment,
    String newKey,
    boolean awaitingKey,
    String keyDeadline,
    boolean awaitingRevokeConfirmation) {}
