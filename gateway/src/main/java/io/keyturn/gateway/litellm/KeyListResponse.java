package io.keyturn.gateway.litellm;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * What {@code GET /key/list?return_full_object=true} answers: one page of keys, and how many pages
 * there are ({@code KeyListResponseObject}).
 */
public record KeyListResponse(
    List<ListedKey> keys,
    @JsonProperty("total_count") int totalCount,
    @JsonProperty("current_page") int currentPage,
    @JsonProperty("total_pages") int totalPages) {
  public KeyListResponse {
    keys = keys == null ? List.of() : List.copyOf(keys);
  }
}
