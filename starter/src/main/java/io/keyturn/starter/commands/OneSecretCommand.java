package io.keyturn.starter.commands;

import picocli.CommandLine.Parameters;

/** A command about one secret's schedule, named by the secret's id: history, pause, rotate-now. */
abstract class OneSecretCommand extends ScheduleCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "The secret id (as in keyturn.yaml).")
  String secretId;
}
