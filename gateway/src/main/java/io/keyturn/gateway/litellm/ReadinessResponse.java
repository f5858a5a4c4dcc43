package io.keyturn.gateway.litellm;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * What {@code GET /health/readiness} answers (litellm/proxy/health_endpoints/_health_endpoints.py,
 * {@code health_readiness}): {@code status} and {@code db} ("connected" when the proxy has its
 * database); 1.82 also sends {@code litellm_version}, 1.106 keeps it for the authenticated {@code
 * /health/readiness/details}.
 */
public record ReadinessResponse(
    String status, String db, @JsonProperty("litellm_version") String litellmVersion) {}
