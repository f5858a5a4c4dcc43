/**
 * The {@code keyturn} command line: {@code rotate} starts a rotation, {@code status} and {@code
 * wait} look at one, {@code revoke-now} ends its grace period. It talks to Temporal only; a keyturn
 * worker does the rotating.
 *
 * <p>{@link io.keyturn.starter.KeyturnCli} takes everything from outside through its constructor (a
 * {@link io.keyturn.starter.TemporalClients}, the environment, the streams, a clock), so tests run
 * the real commands against an in-memory Temporal. Key values are read from an environment
 * variable, a file or stdin, hashed (and sealed with the Keyturn secret) and never printed: output
 * shows fingerprints only. Every command that talks to Temporal needs the worker's Keyturn secret:
 * its client encrypts and decrypts payloads with {@link
 * io.keyturn.workflows.crypto.KeyturnPayloadCodec}.
 */
package io.keyturn.starter;
