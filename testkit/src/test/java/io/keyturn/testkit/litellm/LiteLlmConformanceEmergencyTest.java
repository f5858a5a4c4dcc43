package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;

/**
 * Conformance of what an emergency rotation (a leaked key) relies on: {@code /key/block} of a key
 * already blocked answers like the first block, a blocked key's {@code /key/info} still answers its
 * row (its policy is imported from there), and a block of an unknown key is refused ({@code
 * block_key} and {@code info_key_fn} in {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} of BerriAI/litellm).
 */
class LiteLlmConformanceEmergencyTest extends LiteLlmConformanceBase {

  @ConformanceCase
  @DisplayName("emergency: a second /key/block answers 200 with the row, still blocked")
  void blockTwice(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("em-block-twice");
    for (int i = 0; i < 2; i++) {
      Resp r = p.post("/key/block", p.master, Map.of("key", k.hash()));
      assertThat(r.status()).as("block #%d: %s", i + 1, r).isEqualTo(200);
      assertThat(r.json().path("blocked").asBoolean()).isTrue();
      assertThat(r.json().path("token").asText()).isEqualTo(k.hash());
    }
    assertThat(p.get("/v1/models", k.raw()).status()).isEqualTo(401);
  }

  @ConformanceCase
  @DisplayName("emergency: /key/info of a blocked key answers 200 with its row, blocked")
  void blockedKeyInfo(Target target) {
    Proxy p = open(target);
    Key k = p.newKey("em-blocked-info", "max_budget", 7.5);
    assertThat(p.post("/key/block", p.master, Map.of("key", k.hash())).status()).isEqualTo(200);
    Resp r = p.info(k.hash());
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    JsonNode info = r.json().path("info");
    assertThat(info.path("blocked").asBoolean()).isTrue();
    assertThat(info.path("max_budget").asDouble()).isEqualTo(7.5);
    if (!older(p)) {
      assertThat(info.path("status").asText()).isEqualTo("revoked");
    }
  }

  @ConformanceCase
  @DisplayName("emergency: /key/block of an unknown key -> 404 'Key not found.' (1.82: 401)")
  void blockUnknown(Target target) {
    Proxy p = open(target);
    String hash = sha256(unknownRawKey());
    Resp r = p.post("/key/block", p.master, Map.of("key", hash));
    if (older(p)) {
      // 1.82 updates first; its cache refresh of the missing row then fails as an auth error.
      assertShapeA(r, 401, "token_not_found_in_db");
      assertThat(r.message()).contains("not found in db");
    } else {
      JsonNode err = assertShapeA(r, 404, "not_found_error");
      assertThat(r.message()).isEqualTo("Key not found.");
      assertThat(err.path("param").asText()).isEqualTo("key");
    }
  }
}
