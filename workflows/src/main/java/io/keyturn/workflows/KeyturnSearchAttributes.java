package io.keyturn.workflows;

import io.temporal.common.SearchAttributeKey;
import java.util.Map;

/**
 * The search attributes a rotation sets, so the Temporal UI and {@code temporal workflow list
 * --query} answer "every rotation of secret X" ({@code KeyturnSecretId = 'X'}) and "every rotation
 * in its grace period" ({@code KeyturnPhase = 'IN_GRACE'}). They must exist in the namespace: the
 * worker registers them at start where the server allows it (dev server, self-hosted); on Temporal
 * Cloud create them once with {@code tcld} or the Cloud UI, with the types of {@link #TYPES}.
 */
public final class KeyturnSearchAttributes {
  private KeyturnSearchAttributes() {}

  public static final SearchAttributeKey<String> SECRET_ID =
      SearchAttributeKey.forKeyword("KeyturnSecretId");
  public static final SearchAttributeKey<String> PHASE =
      SearchAttributeKey.forKeyword("KeyturnPhase");
  public static final SearchAttributeKey<String> GATEWAY =
      SearchAttributeKey.forKeyword("KeyturnGateway");
  public static final SearchAttributeKey<Long> GENERATION =
      SearchAttributeKey.forLong("KeyturnGeneration");

  /** Name to type, as {@code temporal server start-dev --search-attribute NAME=TYPE} takes them. */
  public static final Map<String, String> TYPES =
      Map.of(
          SECRET_ID.getName(), "Keyword",
          PHASE.getName(), "Keyword",
          GATEWAY.getName(), "Keyword",
          GENERATION.getName(), "Int");
}
