package io.keyturn.starter.commands;

import io.keyturn.starter.TemporalCommand;
import io.keyturn.workflows.model.RotationRequest;
import picocli.CommandLine.Parameters;

/** A command about one rotation, named by its workflow id: status, wait and revoke-now. */
abstract class OneRotationCommand extends TemporalCommand {

  @Parameters(
      index = "0",
      paramLabel = "ID",
      description =
          "The workflow id, rotation/<secret-id>, as `keyturn rotate` printed it, or the secret id.")
  String id;

  /** A bare secret id names its rotation, {@code rotation/<secret-id>}. */
  @Override
  protected void prepare() {
    if (id != null && !id.contains("/")) {
      id = RotationRequest.workflowId(id);
    }
  }

  @Override
  protected String workflowId() {
    return id;
  }
}
