package io.keyturn.workflows.model;

/**
 * A master-key rotation's state for {@code keyturn status}: its phase, one sentence on what it is
 * doing or waiting for, the old and new keys' fingerprints, which key the proxy runs and which the
 * stores hold (so they are never left disagreeing without saying so), and the counts preflight
 * took. {@code restartDeadline} is ISO-8601 while a restart is awaited, else null.
 */
public record MasterKeyStatus(
    MasterKeyPhase phase,
    String detail,
    String oldKey,
    String newKey,
    String proxyRuns,
    String storedValuesUnder,
    String storesHold,
    int storedModels,
    int credentials,
    boolean awaitingRestart,
    String restartDeadline) {}
