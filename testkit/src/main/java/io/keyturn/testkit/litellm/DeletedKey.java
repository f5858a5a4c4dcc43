package io.keyturn.testkit.litellm;

import java.time.Instant;
import java.util.Map;

/**
 * A row of LiteLLM's deleted-keys archive ({@code LiteLLM_DeletedVerificationToken}): the key as it
 * was, and who removed it when. {@code deletedByApiKey} is set by {@code /key/delete} only;
 * regenerate archives the old row without it.
 */
record DeletedKey(KeyRow row, Instant deletedAt, String deletedBy, String deletedByApiKey) {

  Map<String, Object> toWire(KeyRow.DateStyle style) {
    Map<String, Object> out = row.toWire(style);
    out.put("deleted_at", KeyRow.date(deletedAt, style));
    out.put("deleted_by", deletedBy);
    if (deletedByApiKey != null) {
      out.put("deleted_by_api_key", deletedByApiKey);
    }
    return out;
  }
}
