package io.keyturn.testkit.litellm;

import java.time.Instant;

/**
 * One request the emulator answered: method, route (the path only: a query may hold a raw key),
 * status, and when. {@code injected} names the fault that answered it, or null; for {@code
 * DROP_REPLY} the request was processed (status is what the client would have got) and its reply
 * lost.
 */
public record CallRecord(String method, String route, int status, Instant at, String injected) {}
