package io.keyturn.gateway.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.keyturn.gateway.http.HttpBodies;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The request bodies as they go on the wire and the answers as they are read: explicit nulls kept
 * where LiteLLM tells them from absent fields, and whatever a proxy answers read without throwing.
 */
class LiteLlmBodiesTest {

  static JsonNode wire(Object body) {
    return HttpBodies.tree(HttpBodies.write(body));
  }

  @Test
  void aMintBodyIsThePolicyWithTheCallersFieldsWinningAndExplicitNullsKept() {
    Map<String, Object> policy = new LinkedHashMap<>();
    policy.put("key_alias", "old-alias");
    policy.put("metadata", Map.of("team", "a"));
    policy.put("max_budget", 10.5);
    policy.put("models", List.of("gpt-4o-mini"));
    policy.put("duration", null);
    policy.put("auto_rotate", false);
    policy.put("rotation_interval", null);
    String json =
        HttpBodies.write(
            new GenerateKeyRequest(
                policy, "sk-new", "svc-g2", Map.of("team", "a", "keyturn_generation", 2)));

    assertThat(HttpBodies.tree(json))
        .isEqualTo(
            HttpBodies.tree(
                "{\"key\":\"sk-new\",\"key_alias\":\"svc-g2\",\"metadata\":{\"team\":\"a\","
                    + "\"keyturn_generation\":2},\"max_budget\":10.5,\"models\":[\"gpt-4o-mini\"],"
                    + "\"duration\":null,\"auto_rotate\":false,\"rotation_interval\":null}"));
    assertThat(json.split("\"key_alias\"", -1)).hasSize(2);
    assertThat(json.split("\"metadata\"", -1)).hasSize(2);
  }

  @Test
  void unsetCallerFieldsAreLeftOutAndThePolicysOwnKept() {
    assertThat(wire(GenerateKeyRequest.withPolicy(Map.of("key_alias", "a", "user_id", "u"))))
        .isEqualTo(HttpBodies.tree("{\"key_alias\":\"a\",\"user_id\":\"u\"}"));
    assertThat(wire(new GenerateKeyRequest(Map.of(), null, "probe", Map.of("x", true))))
        .isEqualTo(HttpBodies.tree("{\"key_alias\":\"probe\",\"metadata\":{\"x\":true}}"));
  }

  @Test
  void aDeleteNamesItsKeys() {
    assertThat(HttpBodies.write(new DeleteKeysRequest(List.of("ab12", "cd34"))))
        .isEqualTo("{\"keys\":[\"ab12\",\"cd34\"]}");
  }

  @Test
  void aKeyRowReadsItsTypedFieldsAndTellsAnArchivedDeletedKey() {
    KeyInfoResponse live =
        HttpBodies.read(
            "{\"key\":\"ab12\",\"info\":{\"key_alias\":\"svc-g2\",\"key_name\":\"sk-...wxyz\","
                + "\"user_id\":null,\"allowed_routes\":[\"/key/info\"],\"blocked\":true,"
                + "\"expires\":\"2030-01-01T00:00:00+00:00\",\"status\":\"revoked\","
                + "\"metadata\":{\"keyturn_workflow_id\":\"wf-1\"},\"spend\":0.0}}",
            KeyInfoResponse.class);
    KeyInfo row = live.info();
    assertThat(row.keyAlias()).isEqualTo("svc-g2");
    assertThat(row.keyName()).isEqualTo("sk-...wxyz");
    assertThat(row.userId()).isNull();
    assertThat(row.allowedRoutes()).containsExactly("/key/info");
    assertThat(row.blocked()).isTrue();
    assertThat(row.expires()).isEqualTo("2030-01-01T00:00:00+00:00");
    assertThat(row.metadata()).containsEntry("keyturn_workflow_id", "wf-1");
    assertThat(row.deleted()).as("revoked means blocked").isFalse();

    KeyInfo archived =
        HttpBodies.read(
                "{\"info\":{\"status\":\"deleted\",\"deleted_at\":\"2026-01-01T00:00:00Z\"}}",
                KeyInfoResponse.class)
            .info();
    assertThat(archived.deleted()).isTrue();
    assertThat(archived.deletedAt()).isEqualTo("2026-01-01T00:00:00Z");
  }

  @Test
  void anAnswerThatIsNotTheShapeReadsAsEmpty() {
    for (String body :
        List.of("", "<html>bad gateway</html>", "[1,2]", "{\"detail\":\"x\"}", "{\"info\":[]}")) {
      KeyInfoResponse r = HttpBodies.read(body, KeyInfoResponse.class);
      assertThat(r.info()).as(body).isEqualTo(KeyInfo.NONE);
      assertThat(r.info().allowedRoutes()).isEmpty();
      assertThat(r.info().metadata()).isEmpty();
    }
    assertThat(
            HttpBodies.read("{\"data\":[{\"id\":\"b\"},{\"id\":\"a\"}]}", ModelsResponse.class)
                .ids())
        .containsExactly("a", "b");
    assertThat(HttpBodies.read("oops", ModelsResponse.class).ids()).isEmpty();
    ReadinessResponse ready =
        HttpBodies.read(
            "{\"status\":\"healthy\",\"db\":\"connected\",\"litellm_version\":\"1.82.3\"}",
            ReadinessResponse.class);
    assertThat(ready.db()).isEqualTo("connected");
    assertThat(ready.litellmVersion()).isEqualTo("1.82.3");
  }
}
