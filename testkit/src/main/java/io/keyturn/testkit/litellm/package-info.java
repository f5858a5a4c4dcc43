/**
 * An emulator of the LiteLLM proxy's management API: a <b>test double</b>, not a LiteLLM proxy.
 *
 * <p>It reproduces what LiteLLM's own proxy code does (BerriAI/litellm, mostly {@code
 * litellm/proxy/management_endpoints/key_management_endpoints.py} and {@code litellm/proxy/auth/}),
 * as the conformance suite checks it against releases 1.106.12 and 1.82.3
 * (docs/litellm-conformance.md records where they differ): keys stored by the sha256 of their
 * value, master-key and virtual-key auth with the proxy's three error envelopes, {@code
 * allowed_routes} with route groups, the key endpoints ({@code /key/generate}, {@code /key/info},
 * {@code /key/delete}, {@code /key/list}, {@code /key/update}, {@code /key/block}, {@code
 * /key/unblock}, {@code /key/aliases}, regenerate in unlicensed and licensed modes), health
 * endpoints and {@code /v1/models}.
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
 * <p>How it is built: {@link LiteLlmEmulator} serves HTTP and applies {@link Faults}; {@code
 * ManagementApi} finds the {@code Endpoint} for a route (one small class per endpoint: {@code
 * KeyGenerate}, {@code KeyInfo}, ..., {@code Health}, {@code ModelsList}), checks the method,
 * authenticates with {@code Auth} and runs the endpoint against the {@code KeyTable} (typed {@code
 * KeyRow}s and the deleted-keys archive) under its lock. {@code FieldTypes} holds the request
 * fields' types, {@code ProxyErrors} the error envelopes. A new endpoint is a new {@code Endpoint}
 * and one line in {@code ManagementApi}'s list.
 *
 * <p>{@code LiteLlmConformanceTest} and its siblings (in this module's tests) prove each behaviour
 * over HTTP against the emulator and LiteLLM's own code, and run unchanged against a deployed proxy
 * when {@code LITELLM_URL} and {@code LITELLM_MASTER_KEY} are set.
 */
package io.keyturn.testkit.litellm;
