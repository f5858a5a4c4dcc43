package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.schedules.SchedulePlan;
import io.temporal.client.WorkflowClient;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleHandle;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/** A command about Keyturn's schedules: one Temporal Schedule, {@code keyturn/<id>}, per secret. */
abstract class ScheduleCommand extends TemporalCommand {

  @Override
  protected String workflowId() {
    return null;
  }

  /** A schedule client on the same connection, namespace and data converter as {@code client}. */
  static ScheduleClient schedules(WorkflowClient client) {
    return ScheduleClient.newInstance(
        client.getWorkflowServiceStubs(),
        ScheduleClientOptions.newBuilder()
            .setNamespace(client.getOptions().getNamespace())
            .setDataConverter(client.getOptions().getDataConverter())
            .setIdentity(client.getOptions().getIdentity())
            .build());
  }

  /**
   * The schedules Keyturn manages, described, by secret id in order; one deleted since it was
   * listed is left out.
   */
  static SortedMap<String, ScheduleDescription> managedSchedules(WorkflowClient client) {
    ScheduleClient schedules = schedules(client);
    Map<String, String> managed = new TreeMap<>();
    try (var listed = schedules.listSchedules(null)) {
      listed.forEach(
          d -> {
            String id = SchedulePlan.managedSecretId(d);
            if (id != null) {
              managed.put(id, d.getScheduleId());
            }
          });
    }
    SortedMap<String, ScheduleDescription> described = new TreeMap<>();
    managed.forEach(
        (secretId, scheduleId) ->
            SchedulePlan.describe(schedules.getHandle(scheduleId))
                .ifPresent(d -> described.put(secretId, d)));
    return described;
  }

  /** The schedule of a secret that must exist; a failure naming the next step otherwise. */
  ScheduleDescription existing(ScheduleHandle h, String secretId) {
    return SchedulePlan.describe(h)
        .orElseThrow(
            () ->
                CliFailure.failed(
                    "no schedule "
                        + h.getId()
                        + " in namespace '"
                        + connection.namespace()
                        + "' at "
                        + connection.address()
                        + ": check the secret id ('"
                        + secretId
                        + "'; `keyturn list` shows them) or create it with `keyturn apply -f"
                        + " keyturn.yaml`"));
  }
}
