package io.keyturn.testkit.litellm;

/**
 * A request refused before its endpoint runs (auth, an unreadable body), carrying the answer, as
 * FastAPI's {@code HTTPException} does. No stack trace: it is an answer, not a bug.
 */
final class Refusal extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient Answer answer;

  Refusal(Answer answer) {
    super(null, null, false, false);
    this.answer = answer;
  }

  Answer answer() {
    return answer;
  }
}
