package io.keyturn.activities.audit;

import io.keyturn.workflows.KeyturnSearchAttributes;
import io.temporal.client.WorkflowClient;
import io.temporal.client.WorkflowExecutionMetadata;
import java.util.List;
import java.util.stream.Stream;

/**
 * Which workflows of one type run now against one proxy, as Temporal's visibility tells: by
 * workflow type and the {@code KeyturnGateway} search attribute each rotation sets when it starts.
 * The preflights of the master-key and provider-key rotations ask it about each other, so the two
 * tiers never overlap on a proxy, whoever started them (the CLI or a schedule): Temporal is the
 * only record of what runs, there is no lock of Keyturn's own. Each rotation sets its gateway
 * before its preflight, so two started at the same moment see each other (and both stop) unless
 * visibility lags behind by more than that.
 */
@FunctionalInterface
public interface RunningOnProxy {

  /** Nothing runs anywhere: the default before the worker wires its client in. */
  RunningOnProxy NONE = (type, gateway) -> List.of();

  /** Ids of the running workflows of {@code workflowType} whose gateway is {@code gateway}. */
  List<String> running(String workflowType, String gateway);

  /** Through a Temporal client's visibility. */
  static RunningOnProxy of(WorkflowClient client) {
    return (type, gateway) -> {
      String want = normalized(gateway);
      try (Stream<WorkflowExecutionMetadata> s =
          client.listExecutions("WorkflowType = '" + type + "' AND ExecutionStatus = 'Running'")) {
        return s.limit(10_000)
            .filter(
                m -> {
                  var attrs = m.getTypedSearchAttributes();
                  return attrs.containsKey(KeyturnSearchAttributes.GATEWAY)
                      && want.equals(normalized(attrs.get(KeyturnSearchAttributes.GATEWAY)));
                })
            .map(m -> m.getExecution().getWorkflowId())
            .distinct()
            .sorted()
            .toList();
      }
    };
  }

  /** A gateway URL without trailing slashes, as keyturn.yaml's entries are read. */
  static String normalized(String gateway) {
    return gateway == null ? "" : gateway.replaceAll("/+$", "");
  }
}
