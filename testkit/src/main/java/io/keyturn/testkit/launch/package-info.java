/**
 * Launchers for the real dev servers Keyturn's tests run against, as child processes bound to
 * 127.0.0.1 on free ports.
 *
 * <ul>
 *   <li>{@link io.keyturn.testkit.launch.TemporalDevServer}: the Temporal CLI's dev server, a real
 *       Temporal server with SQLite persistence; {@code restart()} keeps the port and the database
 *       file, so workflows and timers survive it.
 *   <li>{@link io.keyturn.testkit.launch.OpenBaoDevServer}: OpenBao in dev mode (the Vault HTTP
 *       API, in memory, KV v2 at {@code secret/}).
 *   <li>{@link io.keyturn.testkit.launch.MotoServer}: moto's server mode, in-memory AWS APIs
 *       (Secrets Manager) for the AWS secret store.
 * </ul>
 *
 * <p>Nothing here downloads anything: the binaries come from {@code scripts/install-tools.sh},
 * which puts them in {@code .tools/bin} (see {@link io.keyturn.testkit.launch.LocalTools}).
 *
 * <pre>{@code
 * try (TemporalDevServer temporal = TemporalDevServer.builder().build().start();
 *     OpenBaoDevServer bao = OpenBaoDevServer.builder().build().start()) {
 *   WorkflowServiceStubs.newServiceStubs(
 *       WorkflowServiceStubsOptions.newBuilder().setTarget(temporal.address()).build());
 *   // bao.address(), bao.rootToken() ...
 * }
 * }</pre>
 */
package io.keyturn.testkit.launch;
