package io.keyturn.starter.commands;

import io.keyturn.starter.TemporalCommand;
import picocli.CommandLine.Parameters;

/** A command about one rotation, named by its workflow id: status, wait and revoke-now. */
abstract class OneRotationCommand extends TemporalCommand {

  @Parameters(
      index = "0",
      paramLabel = "ID",
      description = "The workflow id, rotation/<secret-id>, as `keyturn rotate` printed it.")
  String id;

  @Override
  protected String workflowId() {
    return id;
  }
}
