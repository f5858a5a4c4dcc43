/**
 * The {@code keyturn} command line: {@link io.keyturn.starter.KeyturnCli} (the entry point and the
 * command tree), the options every command takes, {@link io.keyturn.starter.TemporalCommand} (the
 * base of every command that talks to Temporal: session, worker-key check, failures that name the
 * address and the next step) and {@link io.keyturn.starter.CliFailure}. It talks to Temporal only;
 * a keyturn worker does the rotating.
 *
 * <p>The commands themselves are in {@code commands}; how keyturn.yaml becomes Temporal Schedules
 * in {@code schedules}; what is checked before anything starts in {@code checks}; how rotations are
 * watched and shown in {@code output}; the file itself in {@code config}.
 *
 * <p>{@link io.keyturn.starter.KeyturnCli} takes everything from outside through its constructor (a
 * {@link io.keyturn.starter.TemporalClients}, the environment, the streams, a clock), so tests run
 * the real commands against an in-memory Temporal. Key values are read from an environment
 * variable, a file or stdin, hashed (and sealed to the worker's public key) and never printed:
 * output shows fingerprints only. Every command that talks to Temporal needs the payload key it
 * shares with the worker: its client encrypts and decrypts payloads with {@link
 * io.keyturn.workflows.crypto.KeyturnPayloadCodec}.
 */
package io.keyturn.starter;
