/**
 * One class per {@code keyturn} command (picocli {@code @Command}s, listed in {@link
 * io.keyturn.starter.KeyturnCli}), the bases that group them ({@code ScheduleCommand} for the
 * commands about schedules, {@code ReconcileCommand} for plan and apply) and what only commands
 * use: where the old key comes from ({@code OldKeySource}), grace periods as options, the {@code
 * --to} help made from the store types, and keyturn.yaml's problems as a command reports them.
 */
package io.keyturn.starter.commands;
