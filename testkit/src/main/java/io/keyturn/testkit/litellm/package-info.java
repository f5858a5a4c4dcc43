/**
 * An emulator of the LiteLLM proxy's management API: a <b>test double</b>, not a LiteLLM proxy.
 *
 * <p>The real proxy cannot run on Keyturn's build machines (its Prisma layer downloads engine
 * binaries at run time), so this package reproduces the behaviour documented in {@code
 * shared/reference/litellm-api.md}: keys stored by the sha256 of their value, master-key and
 * virtual-key auth with the proxy's three error envelopes, {@code allowed_routes} with route
 * groups, the key endpoints ({@code /key/generate}, {@code /key/info}, {@code /key/delete}, {@code
 * /key/list}, {@code /key/update}, {@code /key/block}, {@code /key/unblock}, regenerate in
 * unlicensed and licensed modes), health endpoints and {@code /v1/models}.
 *
 * <p>Use it in-process:
 *
 * <pre>{@code
 * try (LiteLlmEmulator proxy = LiteLlmEmulator.builder().masterKey(master).build().start()) {
 *   String raw = proxy.createKey(Map.of("key_alias", "svc-a"));
 *   proxy.faults().rateLimitNext("/key/info", 1, 7); // the next /key/info answers 429
 *   ... call proxy.baseUrl() ...
 *   proxy.liveKeys();                               // inspect state
 * }
 * }</pre>
 *
 * or standalone with {@link LiteLlmEmulatorMain} ({@code java -jar keyturn-testkit-*-all.jar
 * --help}). It binds 127.0.0.1 by default and says it is an emulator in everything it prints.
 *
 * <p>{@code LiteLlmConformanceTest} (in this module's tests) proves each documented behaviour over
 * HTTP, and runs unchanged against a real proxy when {@code LITELLM_URL} and {@code
 * LITELLM_MASTER_KEY} are set.
 */
package io.keyturn.testkit.litellm;
