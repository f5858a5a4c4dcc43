package io.keyturn.testkit.litellm;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * {@code POST /chat/completions} (and {@code /v1/chat/completions}): a request made with a key,
 * answered as LiteLLM answers a mocked completion ({@code mock_response}: 10 prompt and 20
 * completion tokens), and <b>recorded as use of the key</b> the way the real proxy records it: its
 * spend writer adds the request's cost to the key row's {@code spend} and sets {@code last_active}
 * ({@code DBSpendUpdateWriter} in {@code litellm/proxy/db/db_spend_update_writer.py}). The real one
 * writes in batches every 10-15 s; the emulator writes at once. The emulated upstream always
 * answers (the content is the request's {@code mock_response}, or a fixed text); a model the key
 * may not use is 1.106's 403 {@code key_model_access_denied} (1.82 answered 401).
 */
final class ChatCompletions extends RoutedEndpoint {
  /** gpt-4o-mini's price per token in LiteLLM's cost map (input, output), in USD. */
  private static final Map<String, double[]> PRICES =
      Map.of("gpt-4o-mini", new double[] {1.5e-7, 6e-7});

  private static final int PROMPT_TOKENS = 10;
  private static final int COMPLETION_TOKENS = 20;

  /** Model groups with stored deployments that call an (emulated) upstream go there instead. */
  private final DeploymentEndpoints.ChatCompletions deployments;

  ChatCompletions(
      KeyTable table, ProxyErrors errors, DeploymentEndpoints.ChatCompletions deployments) {
    super(table, errors, "POST", "/chat/completions", "/v1/chat/completions");
    this.deployments = deployments;
  }

  @Override
  public Answer answer(Call call) {
    Map<String, Object> body = call.body();
    if (!(body.get("model") instanceof String model) || model.isEmpty()) {
      return errors.shapeA(
          400,
          "Invalid model name passed in model=None. Call `/v1/models` to view available models for"
              + " your key.",
          "invalid_request_error",
          "model");
    }
    Caller caller = call.caller();
    KeyRow row = caller.master() ? null : table.get(caller.hash());
    if (row != null
        && !row.models.isEmpty()
        && !row.models.contains(model)
        && !row.models.contains("all-proxy-models")) {
      return errors.shapeA(
          403,
          "The requested model '"
              + model
              + "' is not available for this API key, or the model name is invalid. Check the"
              + " models available to you and try again.",
          "key_model_access_denied",
          "model");
    }
    double[] price = PRICES.get(model);
    double cost = price == null ? 0.0 : PROMPT_TOKENS * price[0] + COMPLETION_TOKENS * price[1];
    if (deployments.routes(model)) {
      // The first route owner is this class: without this, no request ever reached a deployment.
      // An answered request is use of the key whichever deployment answered it.
      Answer upstream = deployments.answer(call);
      if (row != null && upstream.status() == 200) {
        table.recordUse(caller.hash(), cost);
      }
      return upstream;
    }
    if (row != null) {
      table.recordUse(caller.hash(), cost);
    }
    Map<String, Object> message = new LinkedHashMap<>();
    message.put(
        "content", body.get("mock_response") instanceof String s ? s : "emulated completion");
    message.put("role", "assistant");
    Map<String, Object> choice = new LinkedHashMap<>();
    choice.put("finish_reason", "stop");
    choice.put("index", 0);
    choice.put("message", message);
    Map<String, Object> usage = new LinkedHashMap<>();
    usage.put("completion_tokens", COMPLETION_TOKENS);
    usage.put("prompt_tokens", PROMPT_TOKENS);
    usage.put("total_tokens", PROMPT_TOKENS + COMPLETION_TOKENS);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("id", "chatcmpl-" + UUID.randomUUID());
    out.put("created", table.now().getEpochSecond());
    out.put("model", model);
    out.put("object", "chat.completion");
    out.put("choices", List.of(choice));
    out.put("usage", usage);
    return Answer.ok(out);
  }
}
