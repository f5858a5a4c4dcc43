package io.keyturn.starter.schedules;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.keyturn.gateway.http.JsonHttp;
import io.keyturn.gateway.litellm.LiteLlmClient;
import io.keyturn.gateway.litellm.PolicyFields;
import io.keyturn.starter.config.SecretSpec;
import io.keyturn.workflows.model.RotationResult;
import io.temporal.api.workflow.v1.WorkflowExecutionInfo;
import io.temporal.api.workflowservice.v1.ListWorkflowExecutionsRequest;
import io.temporal.client.WorkflowClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the policy a file declares differs from the live key's: the key the newest completed
 * rotation published, read with {@code /key/info} and the secret's management key. Only for secrets
 * whose policy is written out or imported from a template (with {@code import: current} each
 * rotation copies the live policy, so there is nothing to differ). Read-only.
 */
public final class PolicyDrift {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** One secret's differences, or a note saying why none could be computed. */
  public record Drift(String secretId, String liveKey, List<String> differences, String note) {
    public Map<String, Object> json() {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("secretId", secretId);
      o.put("liveKey", liveKey);
      o.put("differences", differences);
      o.put("note", note);
      return o;
    }
  }

  private PolicyDrift() {}

  public static List<Drift> compute(
      WorkflowClient client, List<SecretSpec> specs, Map<String, String> env) {
    List<Drift> out = new ArrayList<>();
    try (JsonHttp http = new JsonHttp(Duration.ofSeconds(10))) {
      for (SecretSpec s : specs) {
        if (s.policy().importCurrent() && s.policy().fields().isEmpty()) {
          continue;
        }
        out.add(one(client, s, env, http));
      }
    }
    return out;
  }

  private static Drift one(
      WorkflowClient client, SecretSpec s, Map<String, String> env, JsonHttp http) {
    Optional<RotationResult> last = lastCompleted(client, s.id());
    if (last.isEmpty()) {
      return new Drift(
          s.id(), null, List.of(), "no completed rotation yet: nothing live to compare");
    }
    String key = readKey(s.managementKey(), env);
    if (key == null) {
      return new Drift(
          s.id(),
          last.get().newKey().fingerprint(),
          List.of(),
          "the management key " + s.managementKey().describe() + " is not readable here");
    }
    Map<String, Object> desired = new LinkedHashMap<>();
    if (s.policy().importFrom() != null) {
      try {
        desired.putAll(ScheduledRotations.templatePolicy(s, env).fields());
      } catch (ScheduledRotations.BadSpec e) {
        return new Drift(s.id(), last.get().newKey().fingerprint(), List.of(), e.getMessage());
      }
    }
    desired.putAll(s.policy().fields());
    var reply =
        new LiteLlmClient(http, () -> key)
            .keyInfo(s.gatewayUrl(), last.get().newKey().tokenHash())
            .reply();
    if (!reply.ok()) {
      return new Drift(
          s.id(),
          last.get().newKey().fingerprint(),
          List.of(),
          "/key/info of the live key answered " + reply.status());
    }
    JsonNode info;
    try {
      info = JSON.readTree(reply.body()).path("info");
    } catch (Exception e) {
      return new Drift(
          s.id(), last.get().newKey().fingerprint(), List.of(), "unreadable /key/info");
    }
    List<String> diffs = PolicyFields.differences(info, desired);
    return new Drift(s.id(), last.get().newKey().fingerprint(), diffs, null);
  }

  private static Optional<RotationResult> lastCompleted(WorkflowClient client, String secretId) {
    List<WorkflowExecutionInfo> runs =
        client
            .getWorkflowServiceStubs()
            .blockingStub()
            .listWorkflowExecutions(
                ListWorkflowExecutionsRequest.newBuilder()
                    .setNamespace(client.getOptions().getNamespace())
                    .setQuery(
                        "WorkflowId = '"
                            + ScheduledRotations.rotationId(secretId)
                            + "' AND ExecutionStatus = 'Completed'")
                    .build())
            .getExecutionsList();
    return runs.stream()
        .max(
            Comparator.comparingLong(
                (WorkflowExecutionInfo e) ->
                    e.getCloseTime().getSeconds() * 1_000_000_000L + e.getCloseTime().getNanos()))
        .map(
            e ->
                client
                    .newUntypedWorkflowStub(
                        e.getExecution().getWorkflowId(),
                        Optional.of(e.getExecution().getRunId()),
                        Optional.empty())
                    .getResult(RotationResult.class));
  }

  private static String readKey(SecretSpec.KeySource k, Map<String, String> env) {
    try {
      return k.read(env);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
