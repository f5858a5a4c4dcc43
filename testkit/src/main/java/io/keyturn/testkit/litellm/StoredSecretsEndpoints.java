package io.keyturn.testkit.litellm;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The endpoints that show what a master-key rotation changes in {@link StoredSecrets}: {@code GET
 * /model/info} (stored models carry {@code model_info.db_model: true}), {@code GET /health} for one
 * model ({@code model_id}: healthy when its params decrypt; in LiteLLM an undecryptable {@code
 * api_key} is sent to the provider as the ciphertext, and the provider refuses it), {@code GET
 * /credentials} (names, values masked), and the emulator's own {@value #RESTART_ROUTE}.
 */
final class StoredSecretsEndpoints {
  private StoredSecretsEndpoints() {}

  /**
   * <b>Test double only</b>: no LiteLLM has this route. It stands in for restarting the proxy's
   * process (which re-reads {@code LITELLM_MASTER_KEY}): the emulator reads its master key again
   * from its master-key source. Open, like a deployment tool's restart hook would be to Keyturn.
   */
  static final String RESTART_ROUTE = "/keyturn-test-double/restart";

  static List<Endpoint> all(KeyTable table, ProxyErrors errors, StoredSecrets secrets) {
    return List.of(
        new ModelInfo(table, errors, secrets),
        new ModelHealth(table, errors, secrets),
        new Credentials(table, errors, secrets),
        new Restart(table, errors, secrets));
  }

  static final class ModelInfo extends RoutedEndpoint {
    private final StoredSecrets secrets;

    ModelInfo(KeyTable table, ProxyErrors errors, StoredSecrets secrets) {
      super(table, errors, "GET", "/model/info", "/v1/model/info");
      this.secrets = secrets;
    }

    @Override
    public Answer answer(Call call) {
      List<Map<String, Object>> data = new ArrayList<>();
      String only = call.query().get("litellm_model_id");
      for (StoredSecrets.Value v : secrets.all("model")) {
        if (only != null && !only.equals(v.id)) {
          continue;
        }
        Map<String, Object> info = new LinkedHashMap<>(v.info);
        info.put("id", v.id);
        info.put("db_model", true);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("model_name", v.name);
        // api_key and the aws_ key pair are removed from what /model/info shows
        // (remove_sensitive_info_from_deployment)
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("model", v.litellmModel != null ? v.litellmModel : "openai/" + v.name);
        if (v.apiBase != null) {
          params.put("api_base", v.apiBase);
        }
        // the key pair is removed too; the region stays
        if (v.aws.containsKey("aws_region_name")) {
          params.put("aws_region_name", v.aws.get("aws_region_name"));
        }
        m.put("litellm_params", params);
        m.put("model_info", info);
        data.add(m);
      }
      int n = 0;
      for (String name : secrets.configModels()) {
        String id = "config-model-" + (++n);
        if (only == null || only.equals(id)) {
          data.add(
              Map.of(
                  "model_name",
                  name,
                  "litellm_params",
                  Map.of("model", "openai/" + name),
                  "model_info",
                  Map.of("id", id, "db_model", false)));
        }
      }
      return Answer.ok(Map.of("data", data));
    }
  }

  static final class ModelHealth extends RoutedEndpoint {
    private final StoredSecrets secrets;

    ModelHealth(KeyTable table, ProxyErrors errors, StoredSecrets secrets) {
      super(table, errors, "GET", "/health");
      this.secrets = secrets;
    }

    @Override
    public Answer answer(Call call) {
      String id = call.query().get("model_id");
      List<Map<String, Object>> healthy = new ArrayList<>();
      List<Map<String, Object>> unhealthy = new ArrayList<>();
      for (StoredSecrets.Value v : secrets.all("model")) {
        if (id != null && !id.equals(v.id)) {
          continue;
        }
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("model", v.bedrock() ? v.litellmModel : "openai/" + v.name);
        e.put("model_id", v.id);
        if (v.callsUpstream() && secrets.healthy(v)) {
          Object[] r = DeploymentEndpoints.callUpstream(secrets, v, "GET", "/models", null);
          if ((Integer) r[0] == 200) {
            healthy.add(e);
          } else {
            e.put(
                "error",
                "litellm.AuthenticationError: "
                    + (v.bedrock() ? "BedrockException" : "OpenAIException")
                    + " - upstream answered HTTP "
                    + r[0]);
            unhealthy.add(e);
          }
        } else if (secrets.healthy(v)) {
          healthy.add(e);
        } else {
          e.put(
              "error",
              secrets.readable(v)
                  ? "APIConnectionError: the provider did not answer (emulated fault)"
                  : "AuthenticationError: Incorrect API key provided (the stored api_key did not"
                      + " decrypt, so its ciphertext was sent)");
          unhealthy.add(e);
        }
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("healthy_endpoints", healthy);
      out.put("unhealthy_endpoints", unhealthy);
      out.put("healthy_count", healthy.size());
      out.put("unhealthy_count", unhealthy.size());
      return Answer.ok(out);
    }
  }

  static final class Credentials extends RoutedEndpoint {
    private final StoredSecrets secrets;

    Credentials(KeyTable table, ProxyErrors errors, StoredSecrets secrets) {
      super(table, errors, "GET", "/credentials");
      this.secrets = secrets;
    }

    @Override
    public Answer answer(Call call) {
      List<Map<String, Object>> list = new ArrayList<>();
      for (StoredSecrets.Value v : secrets.all("credential")) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("credential_name", v.name);
        c.put("credential_values", Map.of("api_key", secrets.readable(v) ? "sk-****" : "None"));
        c.put("credential_info", Map.of());
        list.add(c);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("success", true);
      out.put("credentials", list);
      return Answer.ok(out);
    }
  }

  static final class Restart extends RoutedEndpoint {
    private final StoredSecrets secrets;

    Restart(KeyTable table, ProxyErrors errors, StoredSecrets secrets) {
      super(table, errors, "POST", RESTART_ROUTE);
      this.secrets = secrets;
    }

    @Override
    public boolean open() {
      return true;
    }

    @Override
    public Answer answer(Call call) {
      String failure = secrets.restart();
      if (failure != null) {
        return Answer.json(503, Map.of("restarted", false, "test_double", true, "error", failure));
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("restarted", true);
      out.put("test_double", true);
      out.put("restarts", secrets.restarts());
      return Answer.ok(out);
    }
  }
}
