package io.keyturn.e2e;

import java.nio.file.Path;
import java.util.List;

/** The end-to-end rotations on the LiteLLM emulator (a test double: fast, and it can fail). */
class RotationEndToEndEmulatorTest extends RotationEndToEndBase {
  @Override
  LiteLlmUnderTest startLiteLlm(String masterKey, List<String> models, Path dir) {
    return LiteLlmUnderTest.emulator(masterKey, models);
  }
}
