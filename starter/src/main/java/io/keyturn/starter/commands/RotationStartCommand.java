package io.keyturn.starter.commands;

import io.keyturn.starter.TemporalCommand;
import io.keyturn.starter.checks.RotationPreflight;
import io.keyturn.workflows.model.RotationRequest;
import io.temporal.client.WorkflowClient;
import java.util.Map;

/**
 * A command that starts one rotation ({@code rotate}, {@code leaked}): the request it builds in
 * {@link #prepare()}, and the emergency start both run the same way.
 */
abstract class RotationStartCommand extends TemporalCommand {

  /** Built by {@link #prepare()}; null until then. */
  protected RotationRequest request;

  @Override
  protected String workflowId() {
    return request == null ? null : request.workflowId();
  }

  @Override
  protected boolean startsRotations() {
    return true;
  }

  /**
   * Starts {@link #request} as an emergency rotation: the CLI's checks first unless {@code
   * skipChecks} (with {@code oldKeyValue}, null when not known here, and {@code checkEnv}), then
   * {@link EmergencyStart}; reports it started, or with {@code await} how it ended.
   */
  protected int startEmergency(
      WorkflowClient client,
      boolean skipChecks,
      String oldKeyValue,
      Map<String, String> checkEnv,
      boolean again,
      boolean await) {
    if (!skipChecks) {
      RotationPreflight.rotate(client, request, oldKeyValue, checkEnv, cli.err());
    }
    EmergencyStart.Started s =
        EmergencyStart.start(client, request, cli.timing(), cli.err(), global.json(), again);
    String id = request.workflowId();
    return EmergencyStart.finish(
        cli.out(),
        global.json(),
        request,
        s,
        uiLink(id),
        await,
        extra -> awaitAndReport(client, id, extra));
  }
}
