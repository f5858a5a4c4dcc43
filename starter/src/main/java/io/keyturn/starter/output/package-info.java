/**
 * What the CLI shows: a rotation as Temporal and the workflow see it ({@link
 * io.keyturn.starter.output.RotationWatcher}, {@link io.keyturn.starter.output.RotationView}), as
 * text or JSON ({@link io.keyturn.starter.output.Report}), and live progress on stderr ({@link
 * io.keyturn.starter.output.ProgressLine}). Keys appear as fingerprints only.
 */
package io.keyturn.starter.output;
