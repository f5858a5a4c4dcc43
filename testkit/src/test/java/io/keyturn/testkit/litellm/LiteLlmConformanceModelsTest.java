package io.keyturn.testkit.litellm;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;

/**
 * Conformance of what a provider-key rotation relies on ({@code add_new_model}, {@code
 * delete_model} in {@code litellm/proxy/management_endpoints/model_management_endpoints.py}, {@code
 * model_info_v1} in {@code proxy_server.py}, with {@code STORE_MODEL_IN_DB=True}): a deployment
 * added with {@code model_info.id} is listed under that id without its api_key, an id added twice
 * is refused, deleting it twice says "not found" the second time. Not run against a deployed proxy
 * (it would add a model there).
 */
class LiteLlmConformanceModelsTest extends LiteLlmConformanceBase {

  private Proxy openNotDeployed(Target target) {
    Assumptions.assumeTrue(
        target != Target.REAL_PROXY, "SKIPPED against a deployed proxy: it adds a model there");
    return open(target);
  }

  static Map<String, Object> deployment(String id, String key) {
    return Map.of(
        "model_name",
        "conf-group",
        "litellm_params",
        Map.of("model", "openai/gpt-4o-mini", "api_base", "http://127.0.0.1:9/v1", "api_key", key),
        "model_info",
        Map.of("id", id, "keyturn_provider_key_id", "svc_conf"));
  }

  @ConformanceCase
  @DisplayName("models: /model/new with model_info.id, listed by /model/info without the api_key")
  void addListDelete(Target target) {
    Proxy p = openNotDeployed(target);
    String id = "keyturn-conf-" + randomSuffix(10);
    String key = "sk-proj-conf-" + randomSuffix(24);
    Resp added = p.post("/model/new", p.master, deployment(id, key));
    assertThat(added.status()).as(added.body()).isEqualTo(200);
    assertThat(added.json().path("model_id").asText()).isEqualTo(id);
    assertThat(added.body()).as("the stored params are encrypted").doesNotContain(key);

    Resp info = p.get("/model/info?litellm_model_id=" + id, p.master);
    assertThat(info.status()).as(info.body()).isEqualTo(200);
    assertThat(info.body()).doesNotContain(key);
    JsonNode row = null;
    for (JsonNode m : info.json().path("data")) {
      if (id.equals(m.path("model_info").path("id").asText())) {
        row = m;
      }
    }
    assertThat(row).as(info.body()).isNotNull();
    assertThat(row.path("model_name").asText()).isEqualTo("conf-group");
    assertThat(row.path("model_info").path("db_model").asBoolean()).isTrue();
    assertThat(row.path("model_info").path("keyturn_provider_key_id").asText())
        .isEqualTo("svc_conf");
    assertThat(row.path("litellm_params").path("api_base").asText())
        .isEqualTo("http://127.0.0.1:9/v1");

    Resp twice = p.post("/model/new", p.master, deployment(id, key));
    assertThat(twice.status()).as(twice.body()).isEqualTo(500);
    assertThat(twice.body()).contains("Failed to add model to db");

    Resp del = p.post("/model/delete", p.master, Map.of("id", id));
    assertThat(del.status()).as(del.body()).isEqualTo(200);
    assertThat(del.body()).contains(id).contains("deleted successfully");
    Resp gone = p.post("/model/delete", p.master, Map.of("id", id));
    assertThat(gone.status()).as(gone.body()).isEqualTo(400);
    assertThat(gone.json().path("error").path("message").asText())
        .contains("Model with id=" + id + " not found in db");
    List<String> ids = p.get("/model/info", p.master).json().path("data").findValuesAsText("id");
    assertThat(ids).doesNotContain(id);
  }

  @ConformanceCase
  @DisplayName(
      "models: a Bedrock deployment with a static access key is listed without its key pair")
  void bedrockAccessKey(Target target) {
    Proxy p = openNotDeployed(target);
    String id = "keyturn-conf-bedrock-" + randomSuffix(10);
    String keyId = "AKIACONF" + randomSuffix(12).toUpperCase(java.util.Locale.ROOT);
    String secret = "conf/" + randomSuffix(35);
    Resp added =
        p.post(
            "/model/new",
            p.master,
            Map.of(
                "model_name",
                "conf-bedrock",
                "litellm_params",
                Map.of(
                    "model",
                    "bedrock/anthropic.claude-3-haiku-20240307-v1:0",
                    "aws_access_key_id",
                    keyId,
                    "aws_secret_access_key",
                    secret,
                    "aws_region_name",
                    "eu-west-1"),
                "model_info",
                Map.of("id", id, "keyturn_provider_key_id", keyId)));
    assertThat(added.status()).as(added.body()).isEqualTo(200);
    assertThat(added.body()).doesNotContain(secret);

    Resp info = p.get("/model/info?litellm_model_id=" + id, p.master);
    assertThat(info.status()).as(info.body()).isEqualTo(200);
    JsonNode params = null;
    for (JsonNode m : info.json().path("data")) {
      if (id.equals(m.path("model_info").path("id").asText())) {
        params = m.path("litellm_params");
      }
    }
    assertThat(params).as(info.body()).isNotNull();
    assertThat(params.path("model").asText())
        .isEqualTo("bedrock/anthropic.claude-3-haiku-20240307-v1:0");
    assertThat(params.path("aws_region_name").asText()).isEqualTo("eu-west-1");
    assertThat(params.has("aws_access_key_id")).as(params.toString()).isFalse();
    assertThat(params.has("aws_secret_access_key")).as(params.toString()).isFalse();
    assertThat(info.body()).doesNotContain(secret);
    assertThat(p.post("/model/delete", p.master, Map.of("id", id)).status()).isEqualTo(200);
  }
}
