package io.keyturn.testkit.litellm;

import java.util.Map;

/** {@code /} and {@code /routes}, any method, no key: says this is the emulator. */
final class Banner implements Endpoint {
  @Override
  public boolean serves(String route) {
    return route.equals("/") || route.equals("/routes");
  }

  @Override
  public boolean accepts(String method) {
    return true;
  }

  @Override
  public boolean open() {
    return true;
  }

  @Override
  public Answer answer(Call call) {
    return Answer.ok(Map.of("message", "LiteLLM management-API emulator (Keyturn test double)"));
  }
}
