package io.keyturn.testkit.litellm;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * A snapshot of one key row in the emulator, for tests to inspect. Holds the token hash, never the
 * raw key (the emulator does not keep raw keys, as LiteLLM does not).
 */
public record EmulatedKey(
    String tokenHash,
    String keyAlias,
    String keyName,
    List<String> models,
    Map<String, Object> metadata,
    Instant expires,
    boolean blocked,
    String userId,
    String teamId,
    List<String> allowedRoutes,
    Instant createdAt,
    Map<String, Object> row) {}
