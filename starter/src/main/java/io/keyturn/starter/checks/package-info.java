/**
 * What the CLI checks before it starts or schedules anything: that the worker holds this CLI's keys
 * ({@link io.keyturn.starter.checks.WorkerKeysCheck}), that a rotation could succeed ({@link
 * io.keyturn.starter.checks.RotationPreflight}), that keyturn.yaml's gateways and destinations
 * answer from here ({@link io.keyturn.starter.checks.OnlineChecks}), and the management key those
 * checks use, read and never printed.
 */
package io.keyturn.starter.checks;
