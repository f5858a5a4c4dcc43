package io.keyturn.testkit.litellm;

import io.keyturn.testkit.provider.BedrockStandIn;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The model-management endpoints a provider-key rotation uses, over {@link StoredSecrets}' stored
 * models (LiteLLM's {@code model_management_endpoints.py}, with {@code STORE_MODEL_IN_DB=True}):
 *
 * <ul>
 *   <li>{@code POST /model/new} ({@code Deployment}: {@code model_name}, {@code litellm_params}
 *       with {@code model}, {@code api_key}, {@code api_base}, and {@code model_info} whose {@code
 *       id} becomes the row's {@code model_id}): answers the stored row, its params encrypted. An
 *       id already in the table is prisma's unique-constraint error, which LiteLLM swallows into a
 *       500 "Failed to add model to db".
 *   <li>{@code POST /model/delete} ({@code {"id"}}): {@code {"message": "Model: ID deleted
 *       successfully"}}; an unknown id is a 400 whose message is the repr of {@code {'error':
 *       'Model with id=ID not found in db'}}, type {@code auth_error}.
 *   <li>{@code POST /v1/chat/completions} (and {@code /chat/completions}), for a model group with
 *       such deployments (reached through the virtual-key {@code ChatCompletions}): picks a
 *       deployment of the body's {@code model} in turn and calls its {@code api_base}'s {@code
 *       /chat/completions} with its stored key (an {@code os.environ/NAME} key through the {@link
 *       ProxySecretManager}, cached as LiteLLM caches it); the provider's refusal comes back as a
 *       401. A {@code bedrock/...} deployment stored with {@code aws_access_key_id}, {@code
 *       aws_secret_access_key} and {@code aws_region_name} (LiteLLM's static-key form) calls the
 *       {@link BedrockStandIn} instead.
 * </ul>
 */
final class DeploymentEndpoints {
  private DeploymentEndpoints() {}

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  static List<Endpoint> all(KeyTable table, ProxyErrors errors, StoredSecrets secrets) {
    return List.of(new ModelNew(table, errors, secrets), new ModelDelete(table, errors, secrets));
  }

  /**
   * Calls the deployment's provider with its key (an {@code os.environ/NAME} key as the proxy's
   * secret manager resolves it now); returns the HTTP status and body. A Bedrock deployment is the
   * {@link BedrockStandIn}: its stored access key asked at STS, and a canned completion when STS
   * accepts it.
   */
  static Object[] callUpstream(
      StoredSecrets secrets, StoredSecrets.Value v, String method, String path, String body) {
    if (v.bedrock()) {
      return callBedrock(secrets, v);
    }
    try {
      String key = secrets.apiKey(v);
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create(v.apiBase + path))
              .timeout(Duration.ofSeconds(10))
              .header("content-type", "application/json");
      if (key != null) {
        b = b.header("Authorization", "Bearer " + key);
      }
      b = method.equals("POST") ? b.POST(HttpRequest.BodyPublishers.ofString(body)) : b.GET();
      HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
      return new Object[] {r.statusCode(), r.body()};
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Object[] {0, "interrupted"};
    } catch (Exception e) {
      return new Object[] {0, e.getClass().getSimpleName()};
    }
  }

  private static Object[] callBedrock(StoredSecrets secrets, StoredSecrets.Value v) {
    String sts = secrets.bedrockSts;
    if (sts == null) {
      return new Object[] {0, "no STS endpoint for Bedrock deployments (bedrockStsEndpoint)"};
    }
    BedrockStandIn.Identity who =
        BedrockStandIn.callerIdentity(
            sts,
            v.aws.getOrDefault("aws_region_name", "us-east-1"),
            v.aws.get("aws_access_key_id"),
            v.aws.getOrDefault("aws_secret_access_key", ""));
    if (!who.accepted()) {
      return new Object[] {who.status() == 403 ? 401 : who.status(), String.valueOf(who.code())};
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("id", "chatcmpl-bedrock-stand-in");
    answer.put("object", "chat.completion");
    answer.put("model", v.litellmModel);
    answer.put(
        "choices",
        List.of(
            Map.of(
                "index",
                0,
                "message",
                Map.of("role", "assistant", "content", "ok"),
                "finish_reason",
                "stop")));
    return new Object[] {200, Answer.write(answer)};
  }

  static final class ModelNew extends RoutedEndpoint {
    private final StoredSecrets secrets;

    ModelNew(KeyTable table, ProxyErrors errors, StoredSecrets secrets) {
      super(table, errors, "POST", "/model/new");
      this.secrets = secrets;
    }

    @Override
    public Answer answer(Call call) {
      Map<String, Object> body = call.body();
      if (!(body.get("model_name") instanceof String name)) {
        return Answer.unprocessable(List.of("body", "model_name"), "Field required", "missing");
      }
      if (!(body.get("litellm_params") instanceof Map<?, ?> params)) {
        return Answer.unprocessable(List.of("body", "litellm_params"), "Field required", "missing");
      }
      if (!(params.get("model") instanceof String model)) {
        return Answer.unprocessable(
            List.of("body", "litellm_params", "model"), "Field required", "missing");
      }
      Map<String, Object> info = new LinkedHashMap<>();
      if (body.get("model_info") instanceof Map<?, ?> given) {
        given.forEach((k, v) -> info.put(String.valueOf(k), v));
      }
      String id =
          info.get("id") instanceof String s && !s.isBlank()
              ? s
              : java.util.UUID.randomUUID().toString();
      info.remove("id");
      String apiBase = params.get("api_base") instanceof String s ? s : null;
      String apiKey = params.get("api_key") instanceof String s ? s : null;
      Map<String, String> aws = new LinkedHashMap<>();
      for (String k : List.of("aws_access_key_id", "aws_secret_access_key", "aws_region_name")) {
        if (params.get(k) instanceof String s) {
          aws.put(k, s);
        }
      }
      if (!secrets.addDeployment(id, name, model, apiBase, apiKey, info, aws)) {
        return errors.shapeA(
            500,
            "{'error': 'Failed to add model to db. Check your server logs for more details.'}",
            "auth_error",
            null);
      }
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("model_id", id);
      out.put("model_name", name);
      // stored encrypted: the row's params are ciphertexts, never the key
      Map<String, Object> enc = new LinkedHashMap<>();
      for (Object k : params.keySet()) {
        enc.put(
            String.valueOf(k), "enc:" + StoredSecrets.fingerprint(String.valueOf(params.get(k))));
      }
      out.put("litellm_params", enc);
      Map<String, Object> mi = new LinkedHashMap<>(info);
      mi.put("id", id);
      out.put("model_info", mi);
      out.put("created_by", call.caller() == null ? "default_user_id" : "default_user_id");
      return Answer.ok(out);
    }
  }

  static final class ModelDelete extends RoutedEndpoint {
    private final StoredSecrets secrets;

    ModelDelete(KeyTable table, ProxyErrors errors, StoredSecrets secrets) {
      super(table, errors, "POST", "/model/delete");
      this.secrets = secrets;
    }

    @Override
    public Answer answer(Call call) {
      if (!(call.body().get("id") instanceof String id)) {
        return Answer.unprocessable(List.of("body", "id"), "Field required", "missing");
      }
      if (!secrets.deleteModel(id)) {
        return errors.shapeA(
            400,
            "{'error': " + Answer.pythonRepr("Model with id=" + id + " not found in db") + "}",
            "auth_error",
            null);
      }
      return Answer.ok(Map.of("message", "Model: " + id + " deleted successfully"));
    }
  }

  static final class ChatCompletions extends RoutedEndpoint {
    private final StoredSecrets secrets;
    private final AtomicLong turn = new AtomicLong();

    ChatCompletions(KeyTable table, ProxyErrors errors, StoredSecrets secrets) {
      super(table, errors, "POST", "/v1/chat/completions", "/chat/completions");
      this.secrets = secrets;
    }

    /** Whether {@code model} has a stored deployment that calls an upstream. */
    boolean routes(String model) {
      return secrets.group(model).stream().anyMatch(StoredSecrets.Value::callsUpstream);
    }

    @Override
    public Answer answer(Call call) {
      if (!(call.body().get("model") instanceof String model)) {
        return errors.shapeA(
            400, "Invalid model name passed in model=None", "invalid_request_error", "model");
      }
      List<StoredSecrets.Value> group =
          secrets.group(model).stream().filter(StoredSecrets.Value::callsUpstream).toList();
      if (group.isEmpty()) {
        return errors.shapeA(
            400,
            "Invalid model name passed in model="
                + model
                + ". Call `/v1/models` to view available"
                + " models for your key.",
            "invalid_request_error",
            "model");
      }
      StoredSecrets.Value v = group.get((int) (turn.getAndIncrement() % group.size()));
      Object[] r = callUpstream(secrets, v, "POST", "/chat/completions", Answer.write(call.body()));
      int status = (Integer) r[0];
      if (status == 200) {
        try {
          return Answer.ok(Answer.JSON.readValue((String) r[1], Map.class));
        } catch (Exception e) {
          return errors.internal(500, "bad upstream answer");
        }
      }
      return errors.shapeA(
          status == 0 ? 500 : status,
          "litellm.AuthenticationError: "
              + (v.bedrock() ? "BedrockException" : "OpenAIException")
              + " - upstream answered HTTP "
              + status
              + " for deployment "
              + v.id,
          status == 401 ? "auth_error" : "internal_server_error",
          null);
    }
  }
}
