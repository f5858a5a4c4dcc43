package io.keyturn.starter.commands;

import io.keyturn.starter.CliFailure;
import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.schedules.SchedulePlan;
import io.temporal.client.WorkflowClient;
import io.temporal.client.schedules.ScheduleClient;
import io.temporal.client.schedules.ScheduleClientOptions;
import io.temporal.client.schedules.ScheduleDescription;
import io.temporal.client.schedules.ScheduleHandle;

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
