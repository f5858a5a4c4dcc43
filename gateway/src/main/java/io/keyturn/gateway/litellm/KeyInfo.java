package io.keyturn.gateway.litellm;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields of a key's row ({@code info} in {@code GET /key/info}'s answer) that Keyturn reads;
 * LiteLLM sends many more (litellm/proxy/management_endpoints/key_management_endpoints.py, {@code
 * info_key_fn}). Every component may be missing: null, or empty for the collections.
 *
 * @param keyName LiteLLM's display form of the key ({@code sk-...} and its last four characters)
 * @param allowedRoutes the routes a scoped key may call; empty: no limit
 * @param expires when the key expires (ISO-8601), or null for never
 * @param status 1.106 and later: {@code active}, {@code expired}, {@code revoked} (blocked) or
 *     {@code deleted}; older releases send none
 * @param deletedAt set when the row comes from 1.106's archive of deleted keys
 * @param lastActive when the key was last used (ISO-8601): LiteLLM's spend writer sets it with the
 *     key's spend for each charged request, batched every {@code proxy_batch_write_at} (10 s and up
 *     to 5 s of jitter); null when never used
 */
public record KeyInfo(
    @JsonProperty("key_alias") String keyAlias,
    @JsonProperty("key_name") String keyName,
    @JsonProperty("user_id") String userId,
    @JsonProperty("allowed_routes") List<String> allowedRoutes,
    boolean blocked,
    String expires,
    String status,
    @JsonProperty("deleted_at") String deletedAt,
    Map<String, Object> metadata,
    @JsonProperty("last_active") String lastActive) {

  /** A row with nothing in it: what a missing or unreadable {@code info} reads as. */
  static final KeyInfo NONE =
      new KeyInfo(null, null, null, null, false, null, null, null, null, null);

  public KeyInfo {
    allowedRoutes =
        allowedRoutes == null
            ? List.of()
            : Collections.unmodifiableList(new ArrayList<>(allowedRoutes));
    metadata =
        metadata == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /**
   * Whether this row describes a deleted key. LiteLLM 1.106 serves deleted keys from its
   * LiteLLM_DeletedVerificationToken archive with {@code status: "deleted"} and {@code deleted_at}
   * instead of answering 404 ({@code info_key_fn}); older releases answer 404. Status {@code
   * "revoked"} there means blocked, not deleted.
   */
  public boolean deleted() {
    return "deleted".equalsIgnoreCase(status) || deletedAt != null;
  }
}
